// Deactivate, reactivate, delete and unlock. Deactivation and deletion end the user's
// access (sessions, unfinished logins, module tokens) and their emailed links in the
// same transaction, so a deactivated user cannot finish a Sign Up or a password reset.
import { endSecretHolds } from '../api-clients/index.ts';
import { GatehouseError } from '../errors.ts';
import { deleteRecoveryCodes } from '../credentials/index.ts';
import { deleteAllCredentials, deleteUserChallenges } from '../webauthn/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { takeRateSlot, type Queryable } from '../storage/index.ts';
import { endUserAccess } from './access.ts';
import { revokeLiveLinks } from './account-links.ts';
import { auditAdminAction, loadTarget, updateTarget, type Actor } from './admin.ts';
import { assertBreakGlassKept, lockCompanyForBreakGlass } from './break-glass.ts';
import { everActive } from './store.ts';
import { queueCompanyNotice } from './security-notices.ts';
import { withdrawApprovals, withdrawnByActor } from './two-factor-reset.ts';

export async function deactivateUser(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    if (target.status === 'disabled') return;
    await updateTarget(tx, actor, target.id, { status: 'disabled' });
    await endUserAccess(tx, now, actor.companyId, target.id, 'user_deactivated');
    await revokeLiveLinks(tx, { companyId: actor.companyId, userId: target.id }, now);
    // The client secrets they hold stop, and do not work again if they are reactivated; the
    // event names the clients stopped.
    const stopped = await endSecretHolds(tx, now, target.id);
    await auditAdminAction(tx, now, actor, target, 'user.deactivated', meta, stopped);
    // A deactivated Master asks nothing any more, nor through a client whose secret they hold.
    await withdrawApprovals(tx, now, { companyId: actor.companyId, userId: target.id }, 'user.deactivated', withdrawnByActor(actor, meta));
  });
}

/** Back to where the user was: active if they had ever been (a password set, or a sign-in through the company's provider), else invited. */
export async function reactivateUser(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    if (target.status !== 'disabled') return;
    await updateTarget(tx, actor, target.id, { status: everActive(target) ? 'active' : 'invited' });
    await auditAdminAction(tx, now, actor, target, 'user.reactivated', meta);
    // A Master back is a lasting way in, as one invited or made: every Master is told (security-notices.ts).
    if (target.role === 'master') await queueCompanyNotice(deps, tx, actor, 'master_reactivated', target.username);
  });
  deps.mailQueued();
}

type Belonging = (tx: Queryable, now: number, companyId: string, userId: string) => Promise<unknown>;

/**
 * Everything that hangs off a user row, removed with it, in one transaction: the one list.
 * Every column that names a user is either here or under KEPT below; a table that gains one
 * goes into one of the two, and test/http/user-deletion.test.ts, which reads the columns
 * from the database, fails until it does. Rows are deleted here even where a foreign key
 * would cascade (recovery codes, group members; sessions and links on PostgreSQL only):
 * the rule does not depend on the engine or on how an older migration declared the key,
 * and a key without ON DELETE (webauthn_credentials) would refuse the whole deletion.
 */
const BELONGINGS: readonly Belonging[] = [
  // Sessions, unfinished logins (login_flows), module grants and tokens (oidc_records,
  // module_grant_sessions, with back-channel logout notices queued), a pending email change.
  (tx, now, companyId, userId) => endUserAccess(tx, now, companyId, userId, 'user_deleted'),
  // Sign Up, password-reset and email-change links, used or not.
  (tx, _now, companyId, userId) => tx.deleteFrom('action_links').where('company_id', '=', companyId).where('user_id', '=', userId).execute(),
  (tx, _now, companyId, userId) => deleteRecoveryCodes(tx, companyId, userId),
  (tx, _now, companyId, userId) => deleteAllCredentials(tx, companyId, userId),
  (tx, _now, companyId, userId) => deleteUserChallenges(tx, companyId, userId),
  (tx, _now, companyId, userId) => tx.deleteFrom('group_members').where('company_id', '=', companyId).where('user_id', '=', userId).execute(),
  // The answers kept for their creates' Idempotency-Keys (the invitations they sent, for a retry).
  (tx, _now, _companyId, userId) => tx.deleteFrom('user_idempotency_keys').where('user_id', '=', userId).execute(),
  // A waiting 2FA reset about them: nobody is left to reset. Decided ones stay, as history.
  // What they asked for, themselves or through a client whose secret they held, is
  // withdrawn (and stays, as history) once the user row is gone: deleteUser, below.
  (tx, _now, companyId, userId) =>
    tx.deleteFrom('approvals').where('company_id', '=', companyId).where('status', '=', 'pending').where('target_user_id', '=', userId).execute(),
];

/*
 * KEPT: columns naming a user whose rows stay when the user goes (plain text ids, no
 * foreign key), and why.
 * - audit_events.actor_id, .target: the trail; the user.deleted event keeps the name.
 * - approvals (decided, or withdrawn when their requester went: withdrawApprovals):
 *   target_user_id, requested_by, decided_by, the history of resets.
 * - invitation_mail.inviter_id: the company's invitation quota for the week.
 * - users.invited_by of the people they invited: shown as null (inviter deleted).
 * - api_clients.created_by, .secret_holder: a client whose secret they held stops at once
 *   (holderMayHold, endSecretHolds: src/api-clients/store.ts) until a Master rotates the
 *   secret; the row stays for the trail, as a deleted client's does.
 * - backchannel_outbox.account_id: the logout notices this deletion owes to modules.
 * - account_requests.decided_by: the operator who decided, on the platform's record.
 * - outbox.user_id: mail for the user still waiting; the worker finds them gone and
 *   withdraws it, row and all, unsent (stillAddressed, src/mail/worker.ts).
 */

/** Removes the user row and everything that hangs off it (BELONGINGS); the audit trail stays. */
export async function deleteUser(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    const { companyId } = actor;
    await lockCompanyForBreakGlass(tx, companyId);
    for (const remove of BELONGINGS) await remove(tx, now, companyId, target.id);
    const deleted = await tx
      .deleteFrom('users')
      .where('company_id', '=', companyId)
      .where('id', '=', target.id)
      .where('role', '<>', 'root_master')
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) !== 1) throw new GatehouseError('user.root_master_protected');
    // The trail names its actors by their rows: the name stays for the events they made.
    await tx.insertInto('former_users').values({ id: target.id, company_id: companyId, username: target.username, deleted_at: now }).execute();
    await assertBreakGlassKept(tx, companyId);
    // A deleted holder's secrets stay stopped until a rotation, as a demoted one's do; the
    // event names the clients stopped.
    const stopped = await endSecretHolds(tx, now, target.id);
    await auditAdminAction(tx, now, actor, target, 'user.deleted', meta, { email: target.email, role: target.role, ...stopped });
    // After the row is gone, so the rule (requesterMayAsk) sees them gone.
    await withdrawApprovals(tx, now, { companyId, userId: target.id }, 'user.deleted', withdrawnByActor(actor, meta));
  });
}

/**
 * How often one user's failed attempts may be cleared by someone else. Each unlock hands
 * whoever knows the password a fresh set of guesses at the second factor (the count is
 * shared by wrong passwords and wrong codes), so unlocks without end, from a Master's
 * session or an API client, would lift the lockout's bound on guessing the code.
 */
export const UNLOCK_CAP = { limit: 3, windowMs: 60 * 60_000 };

/** Clears the failed-attempt count and the lock, so the user can log in at once; at most UNLOCK_CAP.limit times an hour per user. */
export async function unlockUser(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    // Only an unlock that clears something counts (one of a user with no failures gives nothing).
    const clears = target.failed_logins > 0 || target.locked_until !== null || Number(target.lock_streak) > 0;
    if (clears && !(await takeRateSlot(tx, { key: `unlock:${target.id}`, ...UNLOCK_CAP }, now))) throw new GatehouseError('user.unlock_limited');
    // The next lock is the company's lock time again (nextLockMs, src/login/lockout.ts).
    await updateTarget(tx, actor, target.id, { failed_logins: 0, locked_until: null, lock_streak: 0 });
    await auditAdminAction(tx, now, actor, target, 'user.unlocked', meta, {
      wasLocked: target.locked_until !== null && Number(target.locked_until) > now,
      failedLogins: target.failed_logins,
    });
  });
}
