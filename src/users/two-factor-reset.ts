// Resetting a user's 2FA: the secret, its replay marker and the recovery codes go, every
// session and token ends, and the user enrolls again at the next login. With the
// company's two-person rule on, a reset first waits for a different Master's approval;
// the decision is one conditional UPDATE, so two Masters cannot both decide it. An API
// client may ask (it acts as a Master) but never decide, and the person who holds its
// secret may not approve what it asked: the two people stay two. A waiting reset stands only
// while whoever asked may still ask (requesterMayAsk): a change that takes that right away
// withdraws it in its own transaction (withdrawApprovals), and approving checks it again.
import { recordAudit } from '../audit/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { deleteRecoveryCodes } from '../credentials/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { sql } from 'kysely';
import { isUniqueViolation, type Queryable } from '../storage/index.ts';
import { newId } from '../crypto/index.ts';
import { stillHoldsSecret } from '../api-clients/index.ts';
import { senderMayAct } from './sender-may-act.ts';
import { endUserAccess } from './access.ts';
import { countCredentials, deleteAllCredentials } from '../webauthn/index.ts';
import { assertBreakGlassKept, assertBreakGlassKeptWithout } from './break-glass.ts';
import { queueCompanyNotice, queueSecurityNotice } from './security-notices.ts';
import { actorUserId, assertAdministrator, assertStillMaster, auditActor, auditAdminAction, loadTarget, updateTarget, type Actor, type UserActor } from './admin.ts';

export type ResetOutcome = { status: 'reset' } | { status: 'pending'; approvalId: string };

/**
 * How long a reset waits for a second Master. A request is about a user locked out now:
 * one nobody decided in a week is stale (the user has found another way, or the reason is
 * gone), and approving it weeks later would act on a word given under other circumstances.
 * Past it the request is withdrawn (`approval.expired`) and may be asked again.
 */
export const APPROVAL_LIFETIME_MS = 7 * 24 * 3_600_000;
const expired = (createdAt: number | string, now: number) => now - Number(createdAt) >= APPROVAL_LIFETIME_MS;

/**
 * Every reset an administrator carries out passes here (alone, or approved by a second
 * Master), so here the user and the company's Masters are told, in the same transaction.
 */
async function clearTwoFactor(deps: CoreDeps, db: Queryable, actor: Actor, target: { id: string; username: string }, now: number) {
  const userId = target.id;
  // The next enrollment waits for a code mailed to the user (src/login/mail-proof.ts).
  await updateTarget(db, actor, userId, { totp_secret: null, totp_enrolled_at: null, totp_last_step: null, enroll_mail_proof: 1 });
  await deleteRecoveryCodes(db, actor.companyId, userId);
  // Passkeys and security keys go too: the user sets up 2FA again from scratch.
  await deleteAllCredentials(db, actor.companyId, userId);
  // Checked again now the keys are gone too (updateTarget took the company lock and checked
  // after the app's secret alone, when a key could still count as the second factor).
  await assertBreakGlassKept(db, actor.companyId);
  await endUserAccess(db, now, actor.companyId, userId, 'two_factor_reset');
  // The next login enrolls whichever app is shown: one reset by a borrowed session lets the
  // attacker enroll theirs with a phished password. The user and every Master hear of it.
  await queueSecurityNotice(deps, db, { companyId: actor.companyId, userId }, 'two_factor_reset_by_admin', actor);
  await queueCompanyNotice(deps, db, actor, 'two_factor_reset', target.username);
}

async function needsSecondMaster(db: Queryable, companyId: string): Promise<boolean> {
  const company = await db.selectFrom('companies').select('two_person_2fa_reset').where('id', '=', companyId).executeTakeFirst();
  return company?.two_person_2fa_reset === 1;
}

/** The reset waiting for this user, if one is; one past its lifetime is withdrawn on the way. */
async function pendingApproval(db: Queryable, companyId: string, userId: string, now: number, by: WithdrawnBy) {
  const waiting = await db
    .selectFrom('approvals')
    .select(['id', 'company_id', 'target_user_id', 'requested_by', 'requested_by_client_id', 'created_at'])
    .where('company_id', '=', companyId)
    .where('action', '=', 'reset_2fa')
    .where('target_user_id', '=', userId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (!waiting || !expired(waiting.created_at, now)) return waiting;
  await closeAsWithdrawn(db, now, [waiting], 'approval.expired', by);
  return undefined;
}

export async function resetTwoFactor(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta): Promise<ResetOutcome> {
  try {
    const outcome = await deps.db.transaction().execute(async (tx): Promise<ResetOutcome> => {
      const now = deps.clock();
      // First, with their row locked (loadTarget): the Master asking is one still. A
      // demotion or a deactivation committed since the guard let them in withdrew what they
      // had asked already, and could not see this request, not yet written. An API client
      // is checked last instead, with its own row locked (stillHoldsSecret).
      const target = await loadTarget(tx, actor, userId);
      if (target.totp_secret === null && (await countCredentials(tx, actor.companyId, target.id)) === 0) throw new GatehouseError('user.not_enrolled');
      // A request waiting for a second Master is decided first, whatever the rule says now:
      // switching the rule off (the Root Master's alone) does not let anyone step around it.
      if (await pendingApproval(tx, actor.companyId, target.id, now, withdrawnByActor(actor, meta))) throw new GatehouseError('approval.already_pending');
      if (!(await needsSecondMaster(tx, actor.companyId))) {
        await clearTwoFactor(deps, tx, actor, target, now);
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
    deps.mailQueued();
    return outcome;
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

/**
 * Whoever asked for a waiting reset may still ask, so the request still stands: a person
 * while they are an active Master (or the Root Master) of the company; an API client while
 * it is not deleted nor expired and the person holding its secret may still hold it
 * (standingApiClient). A request is the requester's word: once they could not make it
 * again, a second Master approving it would carry out an act nobody with the right asked
 * for. A suspended company is left out: it stops everyone for a while, its Masters
 * included, and reinstating it brings them back. Rotating a client's secret to another
 * holder is not seen here (the client still stands): rotateApiClientSecret withdraws what
 * the client asked under the holder before.
 */
const requesterMayAsk = (now: number) =>
  senderMayAct(now, { user: 'approvals.requested_by', client: 'approvals.requested_by_client_id', company: 'approvals.company_id' }, { noSenderStands: false });

/** The change that took a requester's right to ask away, named in each withdrawal's trail entry. */
export type WithdrawalCause =
  | 'user.deactivated'
  | 'user.deleted'
  | 'user.role_changed'
  | 'api_client.deleted'
  | 'api_client.secret_rotated'
  /** Found when a Master tried to approve it (a change no withdrawal saw, such as a client's expiry). */
  | 'approval.requester_gone'
  /** Nobody decided it within APPROVAL_LIFETIME_MS. */
  | 'approval.expired'
  /** Its user became the Root Master, whose account no Master changes: no one could decide it. */
  | 'user.became_root_master';

/** Who made that change, as the trail names an actor (auditActor), and from where. */
export interface WithdrawnBy {
  actorId: string | null;
  actorClientId: string | null;
  /** Names the actor once they may be gone: `actorUsername` or `actorClientName`. */
  named: Record<string, string | undefined>;
  meta: RequestMeta;
}

export const withdrawnByActor = (actor: Actor, meta: RequestMeta): WithdrawnBy => ({ ...auditActor(actor), meta });

/**
 * Which waiting resets a change may have left without a requester:
 * - `userId`: a person whose role or status changed, or who was deleted: what they asked,
 *   and what the API clients whose secret they hold asked, where the asker no longer may;
 * - `apiClientId`: a client deleted, or its secret handed to another holder: all it asked;
 * - `approvalId`: the one being approved, if its asker no longer may.
 */
export type Askers = { companyId: string; userId: string } | { apiClientId: string } | { companyId: string; approvalId: string };

/**
 * The one way a waiting reset is withdrawn: closed as rejected by nobody (decided_by null,
 * as the codebase has always marked a withdrawal), each with a `user.2fa_reset_withdrawn`
 * event in its company's trail naming the change. Runs in the transaction of the change,
 * so the request is never seen standing after it. Returns the withdrawn ids.
 */
export async function withdrawApprovals(db: Queryable, now: number, askers: Askers, cause: WithdrawalCause, by: WithdrawnBy): Promise<string[]> {
  const found = await db
    .selectFrom('approvals')
    .select(['approvals.id', 'approvals.company_id', 'approvals.target_user_id', 'approvals.requested_by', 'approvals.requested_by_client_id'])
    .select((eb) =>
      eb
        .selectFrom('users as t')
        .select('t.username')
        .whereRef('t.id', '=', 'approvals.target_user_id')
        .whereRef('t.company_id', '=', 'approvals.company_id')
        .as('username'),
    )
    .where('approvals.status', '=', 'pending')
    .where((eb) => {
      if ('apiClientId' in askers) return eb('approvals.requested_by_client_id', '=', askers.apiClientId);
      const gone = eb.not(requesterMayAsk(now)(eb));
      if ('approvalId' in askers) return eb.and([eb('approvals.company_id', '=', askers.companyId), eb('approvals.id', '=', askers.approvalId), gone]);
      return eb.and([
        eb.or([
          eb.and([eb('approvals.company_id', '=', askers.companyId), eb('approvals.requested_by', '=', askers.userId)]),
          // A platform client's holder is an operator: its requests may be in any company.
          eb('approvals.requested_by_client_id', 'in', eb.selectFrom('api_clients').select('api_clients.id').where('api_clients.secret_holder', '=', askers.userId)),
        ]),
        gone,
      ]);
    })
    .execute();
  return closeAsWithdrawn(db, now, found, cause, by);
}

/**
 * The requests waiting about one user, withdrawn: they became the Root Master, whose
 * account only changes through their own hand, so no Master could approve, reject or
 * withdraw them any more (each answered user.root_master_protected, for seven days).
 */
export async function withdrawApprovalsAbout(db: Queryable, now: number, about: { companyId: string; userId: string }, cause: WithdrawalCause, by: WithdrawnBy): Promise<string[]> {
  const found = await db
    .selectFrom('approvals')
    .innerJoin('users as t', (join) => join.onRef('t.id', '=', 'approvals.target_user_id').onRef('t.company_id', '=', 'approvals.company_id'))
    .select(['approvals.id', 'approvals.company_id', 'approvals.target_user_id', 'approvals.requested_by', 'approvals.requested_by_client_id', 't.username'])
    .where('approvals.company_id', '=', about.companyId)
    .where('approvals.target_user_id', '=', about.userId)
    .where('approvals.status', '=', 'pending')
    .execute();
  return closeAsWithdrawn(db, now, found, cause, by);
}

/** Closes each still pending as withdrawn, with its trail entry; returns those it closed. */
async function closeAsWithdrawn(
  db: Queryable,
  now: number,
  found: { id: string; company_id: string; target_user_id: string; requested_by: string | null; requested_by_client_id: string | null; username?: string | null }[],
  cause: WithdrawalCause,
  by: WithdrawnBy,
): Promise<string[]> {
  const withdrawn: string[] = [];
  for (const approval of found) {
    const closed = await db
      .updateTable('approvals')
      .set({ status: 'rejected', decided_by: null, decided_at: now })
      .where('id', '=', approval.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(closed.numUpdatedRows) !== 1) continue;
    withdrawn.push(approval.id);
    await recordAudit(db, now, {
      companyId: approval.company_id,
      actorId: by.actorId,
      actorClientId: by.actorClientId,
      action: 'user.2fa_reset_withdrawn',
      target: approval.target_user_id,
      ip: by.meta.ip,
      userAgent: by.meta.userAgent,
      detail: {
        ...(approval.username ? { username: approval.username } : {}),
        ...by.named,
        approvalId: approval.id,
        requestedBy: approval.requested_by,
        requestedByClient: approval.requested_by_client_id,
        because: cause,
      },
    });
  }
  return withdrawn;
}

/**
 * The client that asked, read with an approval: the company's own, or a platform client
 * (no company of its own, acting in every company: senderMayAct). Joined on the approval's
 * company alone, a platform client's request was shown as asked by nobody.
 */
const clientMayAskIn = sql<boolean>`(c.company_id = a.company_id or c.company_id is null)`;

/** The resets waiting in the actor's company (those past their lifetime are not: APPROVAL_LIFETIME_MS). */
export async function listPendingApprovals(db: Queryable, actor: Actor, now: number) {
  assertAdministrator(actor);
  const rows = await db
    .selectFrom('approvals as a')
    .innerJoin('users as t', (join) => join.onRef('t.id', '=', 'a.target_user_id').onRef('t.company_id', '=', 'a.company_id'))
    .leftJoin('users as r', (join) => join.onRef('r.id', '=', 'a.requested_by').onRef('r.company_id', '=', 'a.company_id'))
    .leftJoin('api_clients as c', (join) => join.onRef('c.id', '=', 'a.requested_by_client_id').on(clientMayAskIn))
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
    .where('a.created_at', '>', now - APPROVAL_LIFETIME_MS)
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
  const outcome = await deps.db.transaction().execute(async (tx): Promise<'decided' | 'withdrawn'> => {
    const now = deps.clock();
    // Only a Master decides: one demoted or deactivated since the guard let them in is
    // refused as the guard refuses a User, their row locked until this decision commits.
    await assertStillMaster(tx, actor.userId, actor.companyId);
    const approval = await tx
      .selectFrom('approvals as a')
      .leftJoin('api_clients as c', (join) => join.onRef('c.id', '=', 'a.requested_by_client_id').on(clientMayAskIn))
      .selectAll('a')
      .select('c.secret_holder')
      .where('a.company_id', '=', actor.companyId)
      .where('a.id', '=', approvalId)
      .executeTakeFirst();
    assertThat(approval, 'request.not_found');
    if (approval.status !== 'pending') throw new GatehouseError('approval.not_pending');
    // Past its lifetime a request is no longer anyone's to decide: withdrawn, committed, refused.
    if (expired(approval.created_at, now)) {
      await closeAsWithdrawn(tx, now, [approval], 'approval.expired', withdrawnByActor(actor, meta));
      return 'withdrawn';
    }
    if (approval.target_user_id === actor.userId) throw new GatehouseError('approval.needs_second_master');
    if (decision === 'approved' && barredFromApproving(approval).includes(actor.userId)) throw new GatehouseError('approval.needs_second_master');
    const target = await loadTarget(tx, actor, approval.target_user_id);
    // Belt and braces: every change that takes a requester's right to ask away withdraws
    // their requests (withdrawApprovals), but one that no change marks (a client's expiry),
    // or a request written as its requester was being deactivated, is caught here. It is
    // withdrawn, committed, and the approval refused as no longer pending.
    if (decision === 'approved') {
      const gone = await withdrawApprovals(tx, now, { companyId: actor.companyId, approvalId: approval.id }, 'approval.requester_gone', withdrawnByActor(actor, meta));
      if (gone.length > 0) return 'withdrawn';
    }
    const claimed = await tx
      .updateTable('approvals')
      .set({ status: decision, decided_by: actor.userId, decided_at: now })
      .where('company_id', '=', actor.companyId)
      .where('id', '=', approval.id)
      .where('status', '=', 'pending')
      // Required again by the claim itself: a change committed since the check is seen.
      .$if(decision === 'approved', (qb) => qb.where(requesterMayAsk(now)))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new GatehouseError('approval.not_pending');
    if (decision === 'approved') await clearTwoFactor(deps, tx, actor, target, now);
    await auditAdminAction(tx, now, actor, target, decision === 'approved' ? 'user.2fa_reset_approved' : 'user.2fa_reset_rejected', meta, {
      approvalId: approval.id,
      requestedBy: approval.requested_by,
      requestedByClient: approval.requested_by_client_id,
    });
    return 'decided';
  });
  deps.mailQueued();
  if (outcome === 'withdrawn') throw new GatehouseError('approval.not_pending');
}
