// What a signed-in user may make Gatehouse write by repeating a request that costs them
// nothing: editing their own profile (the display name, a key's name), changing their own
// ways in (a password, a key added: each a mail to them too) and having their
// own proofs refused (reauth.failed, totp.reset_refused: once the account is locked, or
// while the user has no app, such a refusal checks nothing that counts toward the
// lockout). Each wrote an audit event, and the trail keeps everything unless a retention
// is set, so any User of a company could fill its trail, and the database, at request
// speed and bury the events its Masters read it for. Capped per user, with the rate caps
// every other "only so often" uses (takeRateSlot: atomic, on every node at once). The
// limits are far above what a person does by hand.
// - An edit past its cap is refused (`429 profile.rate_limited`) and changes nothing, so
//   the trail still holds every change that was made; an edit that changes nothing
//   writes nothing (profile.ts callers) and takes no slot.
// - A refusal past its cap is answered as before, only not recorded: one
//   `audit.refusals_dropped` per window says that more went unrecorded (recordUnderCap).
// - A Master's or an operator's changes (every state-changing route of those audiences:
//   a group renamed, a user unlocked, a request approved) are each a row or an audit event
//   at request speed, in a database every company shares: past the cap, `429
//   admin.rate_limited` before the handler reads anything (src/http/audiences.ts). API
//   clients have their own rate (GATEHOUSE_API_RATE_LIMIT).
// - A module sign-in on a live session (a launch from the portal, a module's silent
//   renewal) writes a grant, a code and a `module.launched` event, at the speed of a
//   script following redirects: past the cap the module is answered
//   `temporarily_unavailable` and nothing is written (src/modules/oidc/sign-in-cap.ts).
//   A sign-in that logged in for itself is not counted: the login's own caps hold it.
import { recordUnderCap, type AuditEvent } from '../audit/index.ts';
import { GatehouseError } from '../errors.ts';
import { spendRateSlot, takeRateSlot, type Queryable, type RateCap } from '../storage/index.ts';

const MINUTE_MS = 60_000;

export const SIGNED_IN_WRITE_CAPS = {
  /** Changes to one's own profile that are audited: the display name, a passkey's or security key's name. */
  profileEdits: { limit: 30, windowMs: 60 * MINUTE_MS },
  /**
   * Ways into one's own account changed in My Settings: a password changed, a key added.
   * Each is an audit event, a mail to the owner and (a key) a row every login reads.
   */
  credentialChanges: { limit: 20, windowMs: 60 * MINUTE_MS },
  /** Audit events of one's own refused proofs in My Settings (reauth.failed, totp.reset_refused). */
  refusalEvents: { limit: 50, windowMs: 10 * MINUTE_MS },
  /** A Master's or an operator's changes, whatever they change: one every two seconds, kept up for ten minutes. */
  adminChanges: { limit: 300, windowMs: 10 * MINUTE_MS },
  /**
   * Sign-ins to modules on a live session, every module together: one every two seconds
   * kept up for ten minutes. A person opening modules, and modules renewing their
   * sessions silently every few minutes in several tabs, stay far below it.
   */
  moduleSignIns: { limit: 300, windowMs: 10 * MINUTE_MS },
} as const satisfies Record<string, Omit<RateCap, 'key'>>;

export type SignedInWrite = keyof typeof SIGNED_IN_WRITE_CAPS;

export function signedInWriteCap(write: SignedInWrite, userId: string): RateCap {
  return { key: `signed-in:${write}:${userId}`, ...SIGNED_IN_WRITE_CAPS[write] };
}

/** One of the user's profile edits, in the edit's transaction (a rollback gives it back); past the cap, 429. */
export async function requireProfileEdit(tx: Queryable, userId: string, now: number): Promise<void> {
  if (!(await takeRateSlot(tx, signedInWriteCap('profileEdits', userId), now))) throw new GatehouseError('profile.rate_limited');
}

/** One of the user's changes to their own ways in, in the change's transaction (a rollback gives it back); past the cap, 429. */
export async function requireCredentialChange(tx: Queryable, userId: string, now: number): Promise<void> {
  if (!(await takeRateSlot(tx, signedInWriteCap('credentialChanges', userId), now))) throw new GatehouseError('profile.rate_limited');
}

/** recordAudit for a refusal of a signed-in user's own request, counted per user (the event's actor). */
export function recordUserRefusal(db: Queryable, now: number, event: AuditEvent & { actorId: string }): Promise<void> {
  return recordUnderCap(db, now, event, signedInWriteCap('refusalEvents', event.actorId), event.actorId);
}

/**
 * One of a Master's or an operator's changes, spent on its own before the change runs, so
 * that a refused change counts too; past the cap, 429.
 */
export async function spendAdminChange(db: Queryable, userId: string, now: number): Promise<void> {
  if (!(await spendRateSlot(db, signedInWriteCap('adminChanges', userId), now))) throw new GatehouseError('admin.rate_limited');
}

/**
 * One of the user's module sign-ins on a live session, spent on its own before the sign-in
 * writes anything (a sign-in the module then fails to redeem still counted); false past the cap.
 */
export function spendModuleSignIn(db: Queryable, userId: string, now: number): Promise<boolean> {
  return spendRateSlot(db, signedInWriteCap('moduleSignIns', userId), now);
}
