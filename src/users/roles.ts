// Roles: Masters make other users Masters or Users; only the Root Master hands on the
// Root Master role, to an active user who has set up 2FA, and becomes a Master. The
// database allows one Root Master per company, so the demotion runs first.
import { endSecretHolds } from '../api-clients/index.ts';
import { endSessionsNowHeldToKeys, getCompanyPolicy, keyRequired } from '../companies/policy.ts';
import { lockCompany } from '../companies/store.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { auditAdminAction, loadTarget, updateTarget, type Actor, type UserActor } from './admin.ts';
import { assertBreakGlassKept, lockCompanyForBreakGlass } from './break-glass.ts';
import { withdrawApprovals, withdrawApprovalsAbout, withdrawnByActor } from './two-factor-reset.ts';
import { getUser, hasSecondFactor } from './store.ts';
import { queueCompanyNotice } from './security-notices.ts';

type Role = 'root_master' | 'master' | 'user';

/**
 * A new role the company's policy holds to keys (a User made a Master, under `masters`)
 * ends at once the user's sessions no key signed, with their module tokens, as the policy
 * does when it is tightened: the next login asks for the key, before Master pages.
 */
async function endSessionsIfNowHeldToKeys(tx: Queryable, now: number, target: { companyId: string; userId: string; from: Role; to: Role }) {
  // The company's row (held already where the role is written: updateTarget, the transfer),
  // which a policy change locks first: a promotion and a tightened policy at once each see
  // the other, so neither leaves a Master on a session without a key.
  await lockCompany(tx, target.companyId);
  const policy = await getCompanyPolicy(tx, target.companyId);
  if (keyRequired(policy, target.to) && !keyRequired(policy, target.from)) {
    await endSessionsNowHeldToKeys(tx, now, target.companyId, { userId: target.userId });
  }
}

export async function changeRole(
  deps: CoreDeps,
  actor: Actor,
  userId: string,
  role: 'master' | 'user',
  meta: RequestMeta,
): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    if (target.role === role) return;
    await updateTarget(tx, actor, target.id, { role });
    await endSessionsIfNowHeldToKeys(tx, now, { companyId: actor.companyId, userId: target.id, from: target.role, to: role });
    // The client secrets a Master made a User holds stop, and do not work again if they are
    // made a Master later; the event names the clients stopped.
    const stopped = await endSecretHolds(tx, now, target.id);
    await auditAdminAction(tx, now, actor, target, 'user.role_changed', meta, { from: target.role, to: role, ...stopped });
    // A Master made a User asks nothing any more, nor through a client whose secret they hold.
    await withdrawApprovals(tx, now, { companyId: actor.companyId, userId: target.id }, 'user.role_changed', withdrawnByActor(actor, meta));
    // A new Master is a lasting way in: every Master is told (security-notices.ts).
    if (role === 'master') await queueCompanyNotice(deps, tx, actor, 'master_made', target.username);
  });
  deps.mailQueued();
}

// Only a person who is the Root Master hands the role on: an API client never can.
export async function transferRootMaster(deps: CoreDeps, actor: UserActor, userId: string, meta: RequestMeta): Promise<void> {
  if (actor.role !== 'root_master' && actor.role !== 'master') throw new GatehouseError('auth.forbidden');
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await getUser(tx, actor.companyId, userId);
    assertThat(target, 'request.not_found');
    if (actor.role !== 'root_master') throw new GatehouseError('user.root_master_only');
    if (target.id === actor.userId) throw new GatehouseError('user.self_action');
    // Eligible: active, with a password and a second factor: the app, or a passkey or
    // security key (as everywhere else a second factor counts), checked again as it is
    // promoted below, so a 2FA reset racing this cannot leave a Root Master without one.
    if (target.status !== 'active' || target.password_hash === null) throw new GatehouseError('user.not_eligible_root_master');

    await lockCompanyForBreakGlass(tx, actor.companyId);
    const demoted = await tx
      .updateTable('users')
      .set({ role: 'master' })
      .where('company_id', '=', actor.companyId)
      .where('id', '=', actor.userId)
      .where('role', '=', 'root_master')
      .executeTakeFirst();
    if (Number(demoted.numUpdatedRows) !== 1) throw new GatehouseError('user.root_master_only');
    const promoted = await tx
      .updateTable('users')
      .set({ role: 'root_master' })
      .where('company_id', '=', actor.companyId)
      .where('id', '=', target.id)
      .where('status', '=', 'active')
      .where('password_hash', 'is not', null)
      .where(hasSecondFactor)
      .executeTakeFirst();
    if (Number(promoted.numUpdatedRows) !== 1) throw new GatehouseError('user.not_eligible_root_master');
    await endSessionsIfNowHeldToKeys(tx, now, { companyId: actor.companyId, userId: target.id, from: target.role, to: 'root_master' });
    // A 2FA reset waiting about them can no longer be decided by anyone: withdrawn.
    await withdrawApprovalsAbout(tx, now, { companyId: actor.companyId, userId: target.id }, 'user.became_root_master', withdrawnByActor(actor, meta));
    // Both stay Masters, so the break-glass set cannot shrink here; checked all the same,
    // so a later change to the transfer cannot quietly break the promise.
    await assertBreakGlassKept(tx, actor.companyId);
    await auditAdminAction(tx, now, actor, target, 'user.root_master_transferred', meta, {
      from: target.role,
      to: 'root_master',
      previousRootMaster: actor.userId,
    });
    await queueCompanyNotice(deps, tx, actor, 'root_master_transferred', target.username);
  });
  deps.mailQueued();
}
