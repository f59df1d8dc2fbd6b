// Ends a user's access: Gatehouse sessions, unfinished logins, the module grants and
// tokens they led to, with a back-channel logout notice to each module that held one
// (src/modules/backchannel), any pending email change (whoever asked for it may be
// the one being locked out, and confirming needs no session) and any key ceremony in
// progress (its challenge, started under the access that ends). Always called in the same
// transaction as the change that requires it, so the notices are queued exactly when the
// change commits.
import { recordSessionEnded } from '../audit/index.ts';
import { hashToken } from '../crypto/index.ts';
import { endModuleAccess, tellModulesSessionReplaced } from '../modules/index.ts';
import { endAllSessions, endSession } from '../sessions/index.ts';
import type { RequestMeta } from '../shared/deps.ts';
import type { Db, Queryable } from '../storage/index.ts';
import { deleteUserChallenges } from '../webauthn/index.ts';
import { revokePendingEmailChanges } from './email-change.ts';
import { lockUser } from './store.ts';

/** Why access ended, as the outbox records it for operators. */
export type AccessEndReason =
  | 'logout'
  | 'replaced_by_login'
  | 'session_revoked'
  | 'signed_out_everywhere'
  | 'ended_by_administrator'
  | 'user_deactivated'
  | 'user_deleted'
  | 'password_changed'
  | 'password_reset'
  | 'two_factor_reset'
  | 'company_suspended'
  | 'ip_allowlist'
  /** A copy of one of the user's keys was seen: the sessions a key signed end (login/key-copy.ts). */
  | 'key_copied'
  /** The user held more sessions than the total: the oldest end (session-sweep.ts). */
  | 'session_limit';

/** Everything of one user: deactivation, deletion, password change or reset, 2FA reset, suspension, sign out everywhere. */
export async function endUserAccess(db: Queryable, now: number, companyId: string, userId: string, reason: AccessEndReason): Promise<void> {
  // The user's row first (lockUser, the lock every change to a user takes: LOCK ORDER in
  // src/login/lockout.ts). A change proved before its transaction began (stillProved, in
  // src/users/self-service.ts: an email change, a password change, a key added) holds
  // that row while it writes what this ends (a confirm link, a copy of its session). On
  // PostgreSQL, under READ COMMITTED, the two then take turns: this waits for the
  // change to commit and its later statements see and end what it wrote, or the change
  // waits for this and then finds its session gone. Without the lock a sign-out could end
  // the session and revoke the pending links between the change's check and its write,
  // and the link or the session copy outlived the sign-out. A caller holding the row
  // already (a deactivation, a password change) takes it again for nothing; a company
  // suspension takes it after the company's row, so it may meet a change that holds the
  // user's row and waits for the company's (an administrator's change to the user, a 2FA
  // self-reset): PostgreSQL ends one of the two as a deadlock and it is run again
  // (src/storage/retry.ts).
  await lockUser(db, companyId, userId);
  // What mints sessions ends before the sessions. A login consumes its flow (a DELETE of
  // the flow's row) in the transaction that inserts its session. On PostgreSQL, under READ
  // COMMITTED, deleting the user's flows first either takes a flow before the login does
  // (the login then finds it gone and makes no session) or waits for the login that holds
  // its row to commit; the DELETE of sessions, a later statement, then sees that login's
  // session and ends it. In the other order a login committing between the two deletes
  // kept its session after "sign out everywhere" (or a password change, a deactivation)
  // had committed: an order no serial run allows.
  await endUnfinishedLogins(db, companyId, userId);
  // A key ceremony in progress (adding a key, proving with one) ends with the access it
  // was started under, rather than outliving it until the challenge expires.
  await deleteUserChallenges(db, companyId, userId);
  await endAllSessions(db, companyId, userId);
  await revokePendingEmailChanges(db, companyId, userId, now);
  await endModuleAccess(db, now, { companyId, userId }, reason);
}

/**
 * The user's logins that have not finished (their stored flows), but for `keepFlowHash`:
 * the one finishing, when a login changes what every other login of the user stands on
 * (a first second factor enrolled: src/login/factors.ts).
 */
export async function endUnfinishedLogins(db: Queryable, companyId: string, userId: string, keepFlowHash?: string): Promise<void> {
  let ending = db.deleteFrom('login_flows').where('company_id', '=', companyId).where('user_id', '=', userId);
  if (keepFlowHash !== undefined) ending = ending.where('id_hash', '!=', keepFlowHash);
  await ending.execute();
}

/**
 * Some browser sessions (by id hash), and what each led to: ending one session, an
 * allowlist that now excludes it. A caller ending a user's session from My Sessions or
 * the Users page holds the user's row first (endSessionsByHandle), as endUserAccess does.
 */
export async function endSessionsAccess(db: Queryable, now: number, sessionHashes: string[], reason: AccessEndReason): Promise<void> {
  if (sessionHashes.length === 0) return;
  await db.deleteFrom('sessions').where('id_hash', 'in', sessionHashes).execute();
  await endModuleAccess(db, now, { sessionHashes }, reason);
}

/**
 * Log Out: ends this Gatehouse session and the module tokens it led to (refresh tokens
 * included), so no module keeps a way in after the user logged out of Gatehouse; the
 * modules are told. Sessions in other browsers, and their modules, go on.
 */
export async function logOut(db: Db, sessionToken: string, now: number, meta: RequestMeta): Promise<void> {
  await db.transaction().execute(async (tx) => endBrowserSession(tx, sessionToken, now, meta, 'logout'));
}

async function endBrowserSession(tx: Queryable, sessionToken: string, now: number, meta: RequestMeta, reason: 'logout' | 'replaced_by_login'): Promise<void> {
  await recordSessionEnded(tx, now, sessionToken, meta, reason);
  await endSession(tx, sessionToken);
  const sessionHash = hashToken(sessionToken);
  // A login replacing the session may be for a sign-in in progress in the browser's
  // provider session (a module's id_token_hint naming this person): the modules are told,
  // and the rest is left for that sign-in (tellModulesSessionReplaced).
  if (reason === 'replaced_by_login') await tellModulesSessionReplaced(tx, now, sessionHash, reason);
  else await endModuleAccess(tx, now, { sessionHashes: [sessionHash] }, reason);
}

/**
 * A login finished in a browser that still held a session: a fresh session id at every
 * login, so that one ends. Another person's (a shared computer's next user) ends as Log Out
 * ends one: its modules are told (back-channel logout), the trail says why. The same
 * person logging in again (a module's prompt=login or max_age asks for just that) replaces
 * theirs quietly, as before: a notice would log them out of the module signing them in.
 */
export async function endReplacedSession(db: Db, oldToken: string, newToken: string, now: number, meta: RequestMeta): Promise<void> {
  const whose = (tx: Queryable, token: string) => tx.selectFrom('sessions').select(['company_id', 'user_id']).where('id_hash', '=', hashToken(token)).executeTakeFirst();
  await db.transaction().execute(async (tx) => {
    const old = await whose(tx, oldToken);
    const current = await whose(tx, newToken);
    if (!old) return;
    const samePerson = current !== undefined && current.company_id === old.company_id && current.user_id === old.user_id;
    if (samePerson) await endSession(tx, oldToken);
    else await endBrowserSession(tx, oldToken, now, meta, 'replaced_by_login');
  });
}
