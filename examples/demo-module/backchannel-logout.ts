// OpenID Connect Back-Channel Logout 1.0 for the Demo Module: Gatehouse posts a signed
// logout token to the module's back-channel logout URI when a user's sign-in ends
// elsewhere (Log Out in Gatehouse or another module, sign out everywhere, an administrator
// ending access), and the module ends its own session for that sign-in. Without it a
// module keeps its user signed in until its own session runs out.
//
// The token is a JWT checked as the specification asks (section 2.6): signed by the
// issuer's key (its JWKS), for this client, recent, with the back-channel logout event, a
// `sid` or `sub`, no `nonce`, and a `jti` not seen before.
import { createRemoteJWKSet, customFetch, jwtVerify, type FetchImplementation, type JWTPayload } from 'jose';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How old a logout token may be (it is sent at once, and retried for a while if refused). */
const MAX_AGE = '5 minutes';
const SEEN_JTI_MS = 10 * 60_000;
/**
 * How long the issuer's key set is kept: the minute Gatehouse's JWKS answer allows
 * (Cache-Control max-age=60), not jose's default of ten, so a key Gatehouse dropped
 * (`gatehouse keys rotate --now`) stops verifying here within about two minutes, as
 * docs/OPERATIONS.md promises. A token naming a key not in the kept set fetches it again
 * at once (at most every 30 s: jose's cooldown), so a new key is never waited for.
 */
const JWKS_CACHE_MS = 60_000;

export interface LogoutTokenChecker {
  /** The sign-in the token ends: the provider session (`sid`) and the user (`sub`); throws if the token is not one. */
  check(token: string): Promise<{ sid: string | undefined; sub: string | undefined }>;
}

export function logoutTokenChecker(options: {
  issuer: string;
  clientId: string;
  jwksUri: string;
  /** For an https issuer with a certificate authority of its own (the demo's `ca`). */
  fetch?: FetchImplementation;
}): LogoutTokenChecker {
  const keys = createRemoteJWKSet(new URL(options.jwksUri), { cacheMaxAge: JWKS_CACHE_MS, ...(options.fetch ? { [customFetch]: options.fetch } : {}) });
  const seen = new Map<string, number>();
  return {
    async check(token) {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.clientId,
        maxTokenAge: MAX_AGE,
        requiredClaims: ['iat', 'jti', 'events'],
      });
      const { sid, sub } = claimsOf(payload);
      const now = Date.now();
      for (const [jti, at] of seen) if (now - at > SEEN_JTI_MS) seen.delete(jti);
      if (seen.has(payload.jti as string)) throw new Error('a logout token seen before');
      seen.set(payload.jti as string, now);
      return { sid, sub };
    },
  };
}

function claimsOf(payload: JWTPayload): { sid: string | undefined; sub: string | undefined } {
  const events = payload.events as Record<string, unknown> | undefined;
  if (typeof events !== 'object' || events === null || typeof events[LOGOUT_EVENT] !== 'object') throw new Error('not a logout token: no back-channel logout event');
  if ('nonce' in payload) throw new Error('a logout token carries no nonce');
  const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
  const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
  if (!sid && !sub) throw new Error('a logout token names a sid or a sub');
  return { sid, sub };
}
