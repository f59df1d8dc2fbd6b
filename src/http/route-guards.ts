// The guards every request passes, decided on the route the router matched, never on how
// the URL was spelled: the router decodes `/%61pi/...` into `/api/...`, so a check on the
// raw URL is a check an attacker can spell around. Registered once in app.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.ts';
import { refuseIfMatchNotTaken } from './conditional-saves.ts';
import { refuseIdempotencyKeyNotTaken } from './idempotent-creates.ts';
import { checkOrigin, SAFE_METHODS } from './guards.ts';

/** The versioned API for API clients: bearer tokens, problem details. */
export const API_V1 = '/api/v1';

export type RouteKind = 'api' | 'bearer-api' | 'provider' | 'saml-acs' | 'page' | 'unmatched';

/** Whether `path` is `base` itself or beneath it (`/api/v1` and `/api/v1/...`, never `/api/v10`). */
export const isUnder = (path: string, base: string) => path === base || path.startsWith(`${base}/`);

/** Which guards a matched route pattern gets (the pattern, e.g. `/api/company/users/:id/deactivate`). */
export function routeKind(pattern: string | undefined): RouteKind {
  if (pattern === undefined) return 'unmatched';
  // The OpenID provider authenticates its own clients (client secrets, PKCE, its own
  // cookies and forms); a module's back end posts to it from anywhere, without an Origin.
  if (isUnder(pattern, '/oidc')) return 'provider';
  // A company's SAML provider posts its answer from its own site (the HTTP-POST binding).
  // The signed assertion is the credential; it only moves on the login flow it answers,
  // which the browser holding that flow's cookie then finishes (src/sso/sign-in.ts).
  if (pattern === '/saml/:companyId/acs') return 'saml-acs';
  // The versioned API authenticates by bearer token only and drops cookies
  // (api-client-guard.ts): a cross-site page cannot attach a token, so there is no
  // ambient credential to forge a request with, and no origin to check.
  if (isUnder(pattern, API_V1)) return 'bearer-api';
  if (isUnder(pattern, '/api')) return 'api';
  return 'page';
}

/** The matched route's pattern; undefined for the 404 handler and for URLs the router refused. */
export function matchedRoute(request: FastifyRequest): string | undefined {
  try {
    return request.is404 ? undefined : request.routeOptions.url;
  } catch {
    return undefined;
  }
}

/**
 * JSON only: a cross-site form or text/plain body is a request a page may send without
 * a preflight, so the API never reads one (defence in depth behind the origin check).
 */
function requireJson(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  const type = request.headers['content-type'];
  if (type !== undefined && !type.toLowerCase().startsWith('application/json')) {
    throw new GatehouseError('request.unsupported_media_type');
  }
}

export function guardRoutes(app: FastifyInstance, publicOrigin: string): void {
  app.addHook('onRequest', async (request, reply) => {
    const kind = routeKind(matchedRoute(request));
    // Nothing answers an unmatched request but the 404 handler, which changes nothing.
    if (kind === 'unmatched' || kind === 'provider' || kind === 'saml-acs') return;
    if (kind === 'api' || kind === 'bearer-api') reply.header('cache-control', 'no-store');
    // Every state-changing request outside the provider and the bearer API comes from our
    // own origin, and is refused before the session is even looked at (which touches it).
    if (kind === 'bearer-api') return;
    checkOrigin(request, publicOrigin);
    if (kind === 'api') requireJson(request);
  });
  // The bearer API has no ambient credential to forge, so its token is checked first (an
  // anonymous caller hears 401 whatever it sent) and the body's type after every
  // onRequest hook, still before the body is parsed. An If-Match or an Idempotency-Key the
  // route cannot honour is refused there too, on both APIs, before anything is read or changed.
  app.addHook('preParsing', async (request) => {
    const kind = routeKind(matchedRoute(request));
    if (kind === 'bearer-api') requireJson(request);
    if (kind === 'api' || kind === 'bearer-api') {
      refuseIfMatchNotTaken(request);
      refuseIdempotencyKeyNotTaken(request);
    }
  });
}
