// Deactivate, reactivate, delete and unlock. Deactivation and deletion end the user's
// access (sessions, unfinished logins, module tokens) and their emailed links in the
// same transaction, so a deactivated user cannot finish a Sign Up or a password reset.
import { GatehouseError } from '../errors.ts';
import { deleteRecoveryCodes } from '../credentials/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { endUserAccess } from './access.ts';
import { auditAdminAction, loadTarget, updateTarget, type Actor } from './admin.ts';
import { assertBreakGlassKept, lockCompanyForBreakGlass } from './break-glass.ts';

async function revokeLiveLinks(db: Queryable, companyId: string, userId: string, now: number) {
  await db
    .updateTable('action_links')
    .set({ revoked_at: now })
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function deactivateUser(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    if (target.status === 'disabled') return;
    await updateTarget(tx, actor, target.id, { status: 'disabled' });
    await endUserAccess(tx, now, actor.companyId, target.id, 'user_deactivated');
    await revokeLiveLinks(tx, actor.companyId, target.id, now);
    await auditAdminAction(tx, now, actor, target, 'user.deactivated', meta);
  });
}

/** Back to where the user was: active if they had set a password, else invited. */
export async function reactivateUser(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    if (target.status !== 'disabled') return;
    await updateTarget(tx, actor, target.id, { status: target.password_hash === null ? 'invited' : 'active' });
    await auditAdminAction(tx, now, actor, target, 'user.reactivated', meta);
  });
}

/**
 * Removes the user row and what hangs off it. The audit trail stays: its rows keep the
 * id as plain text, and this event records the username and address for later readers.
 */
export async function deleteUser(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    const { companyId } = actor;
    await lockCompanyForBreakGlass(tx, companyId);
    await endUserAccess(tx, now, companyId, target.id, 'user_deleted');
    await tx.deleteFrom('action_links').where('company_id', '=', companyId).where('user_id', '=', target.id).execute();
    await deleteRecoveryCodes(tx, companyId, target.id);
    await tx
      .deleteFrom('approvals')
      .where('company_id', '=', companyId)
      .where('target_user_id', '=', target.id)
      .where('status', '=', 'pending')
      .execute();
    const deleted = await tx
      .deleteFrom('users')
      .where('company_id', '=', companyId)
      .where('id', '=', target.id)
      .where('role', '<>', 'root_master')
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) !== 1) throw new GatehouseError('user.root_master_protected');
    await assertBreakGlassKept(tx, companyId);
    await auditAdminAction(tx, now, actor, target, 'user.deleted', meta, { email: target.email, role: target.role });
  });
}

/** Clears the failed-attempt count and the lock, so the user can log in at once. */
export async function unlockUser(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    await updateTarget(tx, actor, target.id, { failed_logins: 0, locked_until: null });
    await auditAdminAction(tx, now, actor, target, 'user.unlocked', meta, {
      wasLocked: target.locked_until !== null && Number(target.locked_until) > now,
      failedLogins: target.failed_logins,
    });
  });
}
