// Cookie names and attributes. Over https the names carry the `__Host-` prefix (Secure,
// Path=/, no Domain: a sibling subdomain cannot plant or overwrite them). Plain http is
// the documented localhost exception of the embedded default.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loginIdInToken } from '../login/index.ts';

export interface CookieNames {
  session: string;
  flow: string;
  /** The browser's step-up proof (src/sessions/step-up-proof.ts). */
  proof: string;
  /**
   * A module sign-in in progress (src/modules/oidc/carried-interaction.ts), one cookie per
   * sign-in (this name, `_`, its uid). Scoped to that sign-in's resume so a browser
   * sends it nowhere else, which the `__Host-` prefix forbids: over https it has the
   * `__Secure-` prefix instead. It is sealed, so a planted one opens for nothing.
   */
  oidcInteraction: string;
  /**
   * oidc-provider's own cookies, named here so they carry the prefixes too: its session
   * (Path=/, so `__Host-`, and its `.sig` twin with it), and its interaction and resume
   * cookies, which it scopes to one sign-in's path, so `__Secure-` like ours. Left
   * unprefixed, a sibling subdomain could plant its own provider session in a victim's
   * browser and use that session's logout form (docs/SECURITY.md, Cookies).
   */
  provider: { session: string; interaction: string; resume: string };
}

export function cookieNames(secure: boolean): CookieNames {
  const prefix = secure ? '__Host-' : '';
  return {
    session: `${prefix}gh_session`,
    flow: `${prefix}gh_flow`,
    proof: `${prefix}gh_proof`,
    oidcInteraction: `${secure ? '__Secure-' : ''}gh_oidc_interaction`,
    provider: {
      session: `${prefix}_session`,
      interaction: `${secure ? '__Secure-' : ''}_interaction`,
      resume: `${secure ? '__Secure-' : ''}_interaction_resume`,
    },
  };
}

/** Every Gatehouse cookie's attributes. */
const attributes = (secure: boolean) => ({ path: '/', httpOnly: true, secure, sameSite: 'lax' as const });

export function setCookie(reply: FastifyReply, secure: boolean, name: string, value: string, maxAgeSeconds: number, path = attributes(secure).path) {
  reply.setCookie(name, value, { ...attributes(secure), path, maxAge: maxAgeSeconds });
}

/** The login flow's cookie: it outlives the flow's 10 minutes a little, so an expired flow is told as expired. */
export function setFlowCookie(reply: FastifyReply, secure: boolean, name: string, token: string) {
  setCookie(reply, secure, name, token, 15 * 60);
}

export function clearCookie(reply: FastifyReply, secure: boolean, name: string) {
  reply.clearCookie(name, attributes(secure));
}

/**
 * The Set-Cookie line that clears `name`, with the attributes above, for answers Fastify
 * does not make (the provider's Koa app).
 */
export function clearingCookieLine(secure: boolean, name: string, path = attributes(secure).path): string {
  return cookieLine(secure, name, '', { path, maxAgeSeconds: 0 });
}

/** A Set-Cookie line with the attributes above, at `path`, for answers Fastify does not make. */
export function cookieLine(secure: boolean, name: string, value: string, { path, maxAgeSeconds }: { path: string; maxAgeSeconds: number }): string {
  return `${name}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** Cookie `name` from a raw Cookie header, the first of that name (the provider's requests, which Fastify does not parse). */
export function cookieInHeader(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A cookie value that can be one of our tokens (43 base64url characters); anything else is not ours and is ignored. */
export function tokenShaped(value: string | undefined): string | undefined {
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  return tokenShaped(request.cookies[name]);
}

/**
 * The flow cookie: a stored flow's token, a renamed one's (the login's id, a dot, then a
 * token: src/login/flows.ts moveFlowPastProof), or a pending flow's sealed token
 * (src/login/pending-flow.ts: the prefix, then the secret box's parts joined by dots),
 * which the login opens or refuses. Anything else is ignored.
 */
export function readFlowCookie(request: FastifyRequest, name: string): string | undefined {
  const value = request.cookies[name];
  if (value && value.length <= 3000 && /^p2\.[A-Za-z0-9_.-]+$/.test(value)) return value;
  if (value && loginIdInToken(value) !== undefined) return value;
  return readCookie(request, name);
}
