// Resetting a user's 2FA: the secret, its replay marker and the recovery codes go, every
// session and token ends, and the user enrolls again at the next login. With the
// company's two-person rule on, a reset first waits for a different Master's approval;
// the decision is one conditional UPDATE, so two Masters cannot both decide it. An API
// client may ask (it acts as a Master) but never decide, and the person who holds its
// secret may not approve what it asked: the two people stay two.
import { assertThat, GatehouseError } from '../errors.ts';
import { deleteRecoveryCodes } from '../credentials/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { isUniqueViolation, type Queryable } from '../storage/index.ts';
import { newId } from '../crypto/index.ts';
import { stillHoldsSecret } from '../api-clients/index.ts';
import { endUserAccess } from './access.ts';
import { countCredentials, deleteAllCredentials } from '../webauthn/index.ts';
import { assertBreakGlassKept, assertBreakGlassKeptWithout } from './break-glass.ts';
import { actorUserId, assertAdministrator, auditAdminAction, loadTarget, updateTarget, type Actor, type UserActor } from './admin.ts';

export type ResetOutcome = { status: 'reset' } | { status: 'pending'; approvalId: string };

async function clearTwoFactor(db: Queryable, actor: Actor, userId: string, now: number) {
  await updateTarget(db, actor, userId, { totp_secret: null, totp_enrolled_at: null, totp_last_step: null });
  await deleteRecoveryCodes(db, actor.companyId, userId);
  // Passkeys and security keys go too: the user sets up 2FA again from scratch.
  await deleteAllCredentials(db, actor.companyId, userId);
  // Checked again now the keys are gone too (updateTarget took the company lock and checked
  // after the app's secret alone, when a key could still count as the second factor).
  await assertBreakGlassKept(db, actor.companyId);
  await endUserAccess(db, now, actor.companyId, userId, 'two_factor_reset');
}

async function needsSecondMaster(db: Queryable, companyId: string): Promise<boolean> {
  const company = await db.selectFrom('companies').select('two_person_2fa_reset').where('id', '=', companyId).executeTakeFirst();
  return company?.two_person_2fa_reset === 1;
}

async function pendingApproval(db: Queryable, companyId: string, userId: string) {
  return db
    .selectFrom('approvals')
    .select('id')
    .where('company_id', '=', companyId)
    .where('action', '=', 'reset_2fa')
    .where('target_user_id', '=', userId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
}

export async function resetTwoFactor(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta): Promise<ResetOutcome> {
  try {
    return await deps.db.transaction().execute(async (tx): Promise<ResetOutcome> => {
      const now = deps.clock();
      const target = await loadTarget(tx, actor, userId);
      if (target.totp_secret === null && (await countCredentials(tx, actor.companyId, target.id)) === 0) throw new GatehouseError('user.not_enrolled');
      // A request waiting for a second Master is decided first, whatever the rule says now:
      // switching the rule off (the Root Master's alone) does not let anyone step around it.
      if (await pendingApproval(tx, actor.companyId, target.id)) throw new GatehouseError('approval.already_pending');
      if (!(await needsSecondMaster(tx, actor.companyId))) {
        await clearTwoFactor(tx, actor, target.id, now);
        await auditAdminAction(tx, now, actor, target, 'user.2fa_reset', meta);
        return { status: 'reset' };
      }
      // The last break-glass Master's reset would be refused at approval: say so now.
      await assertBreakGlassKeptWithout(tx, actor.companyId, target.id);
      const approvalId = newId();
      await tx
        .insertInto('approvals')
        .values({
          id: approvalId,
          company_id: actor.companyId,
          action: 'reset_2fa',
          target_user_id: target.id,
          requested_by: actorUserId(actor),
          requested_by_client_id: actor.kind === 'api_client' ? actor.apiClientId : null,
          status: 'pending',
          decided_by: null,
          decided_at: null,
          created_at: now,
        })
        .execute();
      // Last, with the client's row locked: the person barred from approving is whoever
      // holds the secret this request was made with (stillHoldsSecret).
      if (actor.kind === 'api_client' && !(await stillHoldsSecret(tx, actor, now))) throw new GatehouseError('api_client.secret_changed');
      await auditAdminAction(tx, now, actor, target, 'user.2fa_reset_requested', meta, { approvalId });
      return { status: 'pending', approvalId };
    });
  } catch (error) {
    // Two requests at once: the database keeps one pending approval per user.
    if (isUniqueViolation(error)) throw new GatehouseError('approval.already_pending', { cause: error });
    throw error;
  }
}

/**
 * Who may not approve a waiting reset: the user being reset, the Master who asked, and,
 * when an API client asked, the person who holds that client's secret.
 */
function barredFromApproving(approval: { target_user_id: string; requested_by: string | null; secret_holder: string | null }): string[] {
  return [approval.target_user_id, approval.requested_by, approval.secret_holder].filter((id): id is string => id !== null);
}

export async function listPendingApprovals(db: Queryable, actor: Actor) {
  assertAdministrator(actor);
  const rows = await db
    .selectFrom('approvals as a')
    .innerJoin('users as t', (join) => join.onRef('t.id', '=', 'a.target_user_id').onRef('t.company_id', '=', 'a.company_id'))
    .leftJoin('users as r', (join) => join.onRef('r.id', '=', 'a.requested_by').onRef('r.company_id', '=', 'a.company_id'))
    .leftJoin('api_clients as c', (join) => join.onRef('c.id', '=', 'a.requested_by_client_id').onRef('c.company_id', '=', 'a.company_id'))
    .select([
      'a.id',
      'a.action',
      'a.target_user_id',
      'a.requested_by',
      'a.created_at',
      't.username as target_username',
      'r.username as requester_username',
      'c.client_id as requester_client_id',
      'c.name as requester_client_name',
      'c.secret_holder',
    ])
    .where('a.company_id', '=', actor.companyId)
    .where('a.status', '=', 'pending')
    .orderBy('a.created_at')
    .execute();
  const me = actorUserId(actor);
  return rows.map((row) => ({
    id: row.id,
    action: row.action,
    target: { id: row.target_user_id, username: row.target_username },
    requestedBy: {
      id: row.requested_by,
      username: row.requester_username,
      apiClient: row.requester_client_id === null || row.requester_client_name === null ? null : { clientId: row.requester_client_id, name: row.requester_client_name },
    },
    createdAt: Number(row.created_at),
    // Only a person decides, and never one barred from it.
    canApprove: me !== null && !barredFromApproving(row).includes(me),
  }));
}

/** Approve (and carry out) or reject a pending reset. The requester may withdraw it. */
export async function decideApproval(
  deps: CoreDeps,
  actor: UserActor,
  approvalId: string,
  decision: 'approved' | 'rejected',
  meta: RequestMeta,
): Promise<void> {
  assertAdministrator(actor);
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const approval = await tx
      .selectFrom('approvals as a')
      .leftJoin('api_clients as c', (join) => join.onRef('c.id', '=', 'a.requested_by_client_id').onRef('c.company_id', '=', 'a.company_id'))
      .selectAll('a')
      .select('c.secret_holder')
      .where('a.company_id', '=', actor.companyId)
      .where('a.id', '=', approvalId)
      .executeTakeFirst();
    assertThat(approval, 'request.not_found');
    if (approval.status !== 'pending') throw new GatehouseError('approval.not_pending');
    if (approval.target_user_id === actor.userId) throw new GatehouseError('approval.needs_second_master');
    if (decision === 'approved' && barredFromApproving(approval).includes(actor.userId)) throw new GatehouseError('approval.needs_second_master');
    const target = await loadTarget(tx, actor, approval.target_user_id);
    const claimed = await tx
      .updateTable('approvals')
      .set({ status: decision, decided_by: actor.userId, decided_at: now })
      .where('company_id', '=', actor.companyId)
      .where('id', '=', approval.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new GatehouseError('approval.not_pending');
    if (decision === 'approved') await clearTwoFactor(tx, actor, target.id, now);
    await auditAdminAction(tx, now, actor, target, decision === 'approved' ? 'user.2fa_reset_approved' : 'user.2fa_reset_rejected', meta, {
      approvalId: approval.id,
      requestedBy: approval.requested_by,
      requestedByClient: approval.requested_by_client_id,
    });
  });
}
