// A user's own browser sessions, for My Settings. A session is named by a handle, the
// first 16 hex digits of its id hash: enough to tell sessions apart, and useless as a
// cookie (the cookie is the preimage). Every query is scoped by company and user, so a
// handle of someone else's session is simply not found.
import { sql } from 'kysely';
import { recordAudit } from '../audit/index.ts';
import { getCompanyPolicy } from '../companies/policy.ts';
import { GatehouseError } from '../errors.ts';
import type { SignedIn } from '../sessions/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { endSessionsAccess, endUserAccess, type AccessEndReason } from './access.ts';
import { revokePendingEmailChanges } from './email-change.ts';
import { lockUser } from './store.ts';

export const SESSION_HANDLE_PATTERN = /^[0-9a-f]{16}$/;
const handleOf = (idHash: string) => idHash.slice(0, 16);

/** A user's live sessions (within the company's idle and absolute limits), newest use first. */
export async function liveSessionsOf(deps: CoreDeps, companyId: string, userId: string) {
  const now = deps.clock();
  const policy = await getCompanyPolicy(deps.db, companyId);
  const rows = await deps.db
    .selectFrom('sessions')
    .select(['id_hash', 'created_at', 'last_seen_at', 'ip', 'last_seen_ip', 'user_agent'])
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .where('created_at', '>', now - policy.sessionAbsoluteMinutes * 60_000)
    .where('last_seen_at', '>', now - policy.sessionIdleMinutes * 60_000)
    .orderBy('last_seen_at', 'desc')
    .limit(200)
    .execute();
  return rows.map((row) => ({
    id: handleOf(row.id_hash),
    idHash: row.id_hash,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    ip: row.ip,
    // Not stored until the session is next touched after its sign-in: it was the sign-in's.
    lastSeenIp: row.last_seen_ip ?? row.ip,
    userAgent: row.user_agent,
  }));
}

/** Sessions whose handle is given, ended with what they led to; the ended hashes. */
export async function endSessionsByHandle(db: Queryable, now: number, companyId: string, userId: string, handle: string, reason: AccessEndReason) {
  // The user's row first, as endUserAccess takes it: a change proved from the session
  // being ended (an email change, a password change) either commits first, and the
  // revocation below sees what it wrote, or waits and then finds its session gone.
  await lockUser(db, companyId, userId);
  const ended = await db
    .deleteFrom('sessions')
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .where(sql<string>`substr(id_hash, 1, 16)`, '=', handle)
    .returning('id_hash')
    .execute();
  if (ended.length === 0) throw new GatehouseError('request.not_found');
  // What this browser session led to ends with it: module tokens, and the modules are told.
  await endSessionsAccess(db, now, ended.map((row) => row.id_hash), reason);
  // Ending a session is how a lost or stolen device is cut off: what it asked for goes too.
  await revokePendingEmailChanges(db, companyId, userId, now);
  return ended.map((row) => row.id_hash);
}

export async function listMySessions(deps: CoreDeps, me: SignedIn) {
  const sessions = await liveSessionsOf(deps, me.companyId, me.userId);
  return sessions.map(({ idHash, ...session }) => ({ ...session, current: idHash === me.sessionHash }));
}

/** Ends one of the user's sessions; `current` tells whether it was this browser's. */
export async function revokeMySession(deps: CoreDeps, me: SignedIn, handle: string, meta: RequestMeta) {
  return deps.db.transaction().execute(async (tx) => {
    const ended = await endSessionsByHandle(tx, deps.clock(), me.companyId, me.userId, handle, 'session_revoked');
    await recordAudit(tx, deps.clock(), {
      companyId: me.companyId,
      actorId: me.userId,
      action: 'session.revoked',
      target: me.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { session: handle },
    });
    return { current: ended.includes(me.sessionHash) };
  });
}

/** Every session, this one included, and every module token of the user. */
export async function signOutEverywhere(deps: CoreDeps, me: SignedIn, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    await endUserAccess(tx, deps.clock(), me.companyId, me.userId, 'signed_out_everywhere');
    await recordAudit(tx, deps.clock(), {
      companyId: me.companyId,
      actorId: me.userId,
      action: 'session.signed_out_everywhere',
      target: me.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
  });
}
