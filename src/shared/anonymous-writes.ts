// What anyone may make Gatehouse store without signing in: a login flow and its passkey
// challenge, a request to a company's identity provider, a provider session or a sign-in
// too large for a cookie, a public module's pushed authorization request (and its DPoP
// proof), the audit events of refusals anyone can cause (kept for good), and the audit
// event and mail of a forgotten password or company name. Each is capped per client network
// (clientNetwork: an IPv4 address, an IPv6 /64) in a window, with the rate caps every
// other "only so often" uses (takeRateSlot: one atomic upsert, on every node at once).
// The limits are far above what the people of one office behind one address do; past
// one, the request stores nothing and is answered 429, the same whatever user or company
// it names. A refusal past its cap is still answered as before, only not recorded: one
// event per window says that more went unrecorded.
import { recordUnderCap, type AuditEvent } from '../audit/index.ts';
import { GatehouseError } from '../errors.ts';
import { takeRateSlot, type Queryable, type RateCap } from '../storage/index.ts';
import { clientNetwork } from './client-network.ts';

const MINUTE_MS = 60_000;

/** The writes anyone may cause, each with its limit per client network in a window. */
export const ANONYMOUS_WRITE_CAPS = {
  /** "Log in with a passkey" (POST /api/login/passkey/options): a login flow and a challenge. */
  passkeyLoginStarts: { limit: 200, windowMs: 10 * MINUTE_MS },
  /** Identify at a company with single sign-on (POST /api/login/identify): a stored login flow. */
  ssoLoginFlows: { limit: 200, windowMs: 10 * MINUTE_MS },
  /** "Continue" to the company's provider (POST /api/login/sso/start): a request to it. */
  ssoStarts: { limit: 200, windowMs: 10 * MINUTE_MS },
  /** The provider's logout page for a browser without a provider session: a provider session. */
  logoutPageSessions: { limit: 100, windowMs: 10 * MINUTE_MS },
  /** A module's sign-in too large to travel in the browser (GET /oidc/auth): a stored interaction. */
  storedInteractions: { limit: 100, windowMs: 10 * MINUTE_MS },
  /** A pushed authorization request without client authentication (POST /oidc/request), and the DPoP proof it carries. */
  pushedRequests: { limit: 200, windowMs: 10 * MINUTE_MS },
  /**
   * "Forgot password" (POST /api/login/forgot-password): an audit event, and a reset link
   * mailed when the names are a user's. The mail cap is per user (mail/send-caps.ts), so
   * without this one network could mail every user it can name, once a minute each.
   */
  passwordResetRequests: { limit: 30, windowMs: 10 * MINUTE_MS },
  /** "Forgot company name" (POST /api/login/forgot-company): an audit event, and a mail when the address is a user's. */
  companyNameRequests: { limit: 30, windowMs: 10 * MINUTE_MS },
  /** Audit events of refusals anyone can cause (a passkey login's, a provider's answer's), per trail. */
  refusalEvents: { limit: 50, windowMs: 10 * MINUTE_MS },
} as const satisfies Record<string, Omit<RateCap, 'key'>>;

export type AnonymousWrite = keyof typeof ANONYMOUS_WRITE_CAPS;

/** The cap on `write` for the client network `network` (clientNetwork). */
export function anonymousWriteCap(write: AnonymousWrite, network: string): RateCap {
  return { key: `anonymous:${write}:${network}`, ...ANONYMOUS_WRITE_CAPS[write] };
}

/** Takes one of `write`'s slots for the client at `ip` (a normalized address, or null); false past the cap. */
export function takeAnonymousWrite(db: Queryable, write: AnonymousWrite, ip: string | null, now: number): Promise<boolean> {
  return takeRateSlot(db, anonymousWriteCap(write, clientNetwork(ip)), now);
}

/** takeAnonymousWrite for the JSON API: past the cap, 429 request.rate_limited. */
export async function requireAnonymousWrite(db: Queryable, write: AnonymousWrite, ip: string | null, now: number): Promise<void> {
  if (!(await takeAnonymousWrite(db, write, ip, now))) throw new GatehouseError('request.rate_limited');
}

/**
 * recordAudit for a refusal anyone can cause, counted per client network and trail (a
 * company's, or the platform's): past the cap it is not recorded, so no one can flood a
 * trail that keeps everything; the first one past it in a window records
 * `audit.refusals_dropped` instead.
 */
export async function recordAnonymousRefusal(db: Queryable, now: number, event: AuditEvent): Promise<void> {
  const counted = `${event.companyId ?? 'platform'}:${clientNetwork(event.ip ?? null)}`;
  await recordUnderCap(db, now, event, anonymousWriteCap('refusalEvents', counted), null);
}
