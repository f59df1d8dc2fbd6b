// Request guards: CSRF by origin, and the signed-in user from the session cookie. The
// company always comes from the session, never from ids in the request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SHOWN_USER_PARAM } from '../contract/common.ts';
import { GatehouseError } from '../errors.ts';
import { authenticateSession, sessionStillStored, STEP_UP_PROOF_KEY, withThisBrowsersProof, type SessionUse, type SignedIn } from '../sessions/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { normalizeAddress } from './client-ip.ts';
import { clearCookie, readCookie, type CookieNames } from './cookies.ts';

export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * OWASP's "verify origin with standard headers": a state-changing request must come
 * from our own origin. Browsers always send Origin on cross-site POSTs, and
 * Sec-Fetch-Site where Origin is absent; a non-browser client sends neither and gains
 * nothing, as it holds no victim's cookies.
 */
export function checkOrigin(request: FastifyRequest, publicOrigin: string): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  // Under `Referrer-Policy: no-referrer` browsers may send `Origin: null` even for our
  // own POSTs; then only Sec-Fetch-Site saying same-origin vouches for the request.
  if (origin === 'null') {
    if (site !== 'same-origin') throw new GatehouseError('csrf.forbidden_origin');
    return;
  }
  if (origin !== undefined) {
    if (origin !== publicOrigin) throw new GatehouseError('csrf.forbidden_origin');
    return;
  }
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new GatehouseError('csrf.forbidden_origin');
  }
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  const userAgent = request.headers['user-agent'];
  // request.ip walks X-Forwarded-For with client-ip.ts's trust; only a valid address counts.
  return { ip: normalizeAddress(request.ip), userAgent: typeof userAgent === 'string' ? userAgent : null };
}

/** The request's session judged again now (ended, expired, its user or company changed: undefined). */
export async function authenticatedAgain(deps: CoreDeps, cookies: CookieNames, request: FastifyRequest): Promise<SignedIn | undefined> {
  const token = readCookie(request, cookies.session);
  return token ? authenticateSession(deps.db, token, deps.clock(), requestMeta(request).ip, sessionUseOf(request)) : undefined;
}

/**
 * The header a page sends when it only looks whether its session is still live (GET
 * /api/me from a page left open): judged as any request, but no use of the session, so a
 * page merely left open never keeps an idle session alive. Only a read can say so.
 */
export const LOOK_ONLY_HEADER = 'x-gatehouse-look-only';
const sessionUseOf = (request: FastifyRequest): SessionUse => (SAFE_METHODS.has(request.method) && request.headers[LOOK_ONLY_HEADER] !== undefined ? 'look' : 'use');

/** The header a signed-in page names the user it shows in (their id, as GET /api/me answers it). */
export const SHOWN_USER_HEADER = 'x-gatehouse-user';

/**
 * Whom the request says its page shows: the header, and on a GET (a download link: a
 * navigation sends no header) the URL's SHOWN_USER_PARAM too, which the CSV routes declare.
 * Every one given must be the session's user.
 */
function shownUsers(request: FastifyRequest): unknown[] {
  const query = SAFE_METHODS.has(request.method) ? (request.query as Record<string, unknown> | undefined)?.[SHOWN_USER_PARAM] : undefined;
  // Ids are read in either case (RFC 9562 §4), as the contract's anId reads them.
  return [request.headers[SHOWN_USER_HEADER], query]
    .flat()
    .filter((shown) => shown !== undefined)
    .map((shown) => (typeof shown === 'string' ? shown.toLowerCase() : shown));
}

export async function requireSignedIn(
  deps: CoreDeps,
  cookies: CookieNames,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<SignedIn> {
  const signedIn = await authenticatedAgain(deps, cookies, request);
  if (!signedIn) {
    // A session over is cleared from the browser; one refused only for this request's
    // address (outside its company's allowlist) stays there, so the same laptop back on
    // the office network goes on (a page's look while a VPN reconnects must not sign it out).
    if (request.cookies[cookies.session] !== undefined) {
      const token = readCookie(request, cookies.session);
      if (!token || !(await sessionStillStored(deps.db, token))) clearCookie(reply, deps.config.secureCookies, cookies.session);
    }
    throw new GatehouseError('session.required');
  }
  // A browser has one session cookie for all its tabs: a page opened as one user, after a
  // login as another in a second tab, would read and change the other account under its
  // own header. The page names the user it shows; a session of another is refused.
  if (shownUsers(request).some((shown) => shown !== signedIn.userId)) throw new GatehouseError('session.changed');
  return withThisBrowsersProof(deps.deriveKey(STEP_UP_PROOF_KEY), signedIn, readCookie(request, cookies.proof));
}
