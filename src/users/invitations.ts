// Invitations: a Master creates a user (status invited) and, in the same transaction, a
// Sign Up link and the invite email, so none exists without the others. The link follows
// the welcome link's rules (single use, expiry, stored hashed, a resend revokes it) and
// opens the same /signup/:token page. Each transaction first locks the company's row while
// the company is active (openInvitation), so none outlives a suspension that raced it, and
// never in the platform company (operators come from the shell only).
import { isPlatformCompany } from '../companies/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { enqueueMail, inviteEmail } from '../mail/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { actorUserId, assertActorStillAdministrator, auditAdminAction, loadTarget, type Actor } from './admin.ts';
import { lockInvitingCompany, takeInvitationQuota } from './invitation-quota.ts';
import { issueSignupLink } from './signup-links.ts';
import { createUser, type UserRow } from './store.ts';
import { queueCompanyNotice } from './security-notices.ts';

export type InvitableRole = 'master' | 'user';

export interface InviteInput {
  email: string;
  username: string;
  role: InvitableRole;
  displayName?: string | undefined;
}

/**
 * First in every invitation's transaction: the company's row locked while it is active
 * (lockInvitingCompany). A suspension that committed since the request's guard read its
 * session or token has ended that session or token, and revoked the company's links: the
 * invitation answers what the guard would answer now, and writes nothing. A Master:
 * session.required. A company's API client: api.invalid_token. A platform client, which
 * reaches a suspended company but invites no one into it (the link would work once the
 * company is reactivated, past the suspension that was to revoke every link):
 * invite.suspended_company.
 */
async function openInvitation(tx: Queryable, actor: Actor): Promise<void> {
  if (!(await lockInvitingCompany(tx, actor.companyId))) {
    if (actor.kind === 'user') throw new GatehouseError('session.required');
    const client = await tx.selectFrom('api_clients').select('company_id').where('id', '=', actor.apiClientId).executeTakeFirst();
    throw new GatehouseError(client && client.company_id === null ? 'invite.suspended_company' : 'api.invalid_token');
  }
  // The platform company's users are the operators: added on the server only (gatehouse
  // operator create, whose link is handed over by hand), so a stolen operator session
  // cannot mint more, by a new invitation or by a resent one (which would also revoke the
  // link the shell printed and mail its replacement to the console's Mailbox).
  if (await isPlatformCompany(tx, actor.companyId)) throw new GatehouseError('user.operators_from_shell');
}

/**
 * Every invitation email goes through here, after openInvitation, so each one is counted
 * against the quotas; over a limit it throws, and the caller's transaction (the new user,
 * the link) rolls back.
 */
async function queueInvite(deps: CoreDeps, tx: Queryable, actor: Actor, user: UserRow, now: number) {
  // An API client counts against the per-inviter quota as itself.
  const inviterId = actor.kind === 'user' ? actor.userId : actor.apiClientId;
  await takeInvitationQuota(tx, deps.config.inviteLimits, { companyId: actor.companyId, inviterId }, now);
  const company = await tx.selectFrom('companies').select('name').where('id', '=', actor.companyId).executeTakeFirst();
  const inviter =
    actor.kind === 'user'
      ? await tx
          .selectFrom('users')
          .select('display_name')
          .where('company_id', '=', actor.companyId)
          .where('id', '=', actor.userId)
          .executeTakeFirst()
      : undefined;
  assertThat(company, 'request.not_found');
  const link = await issueSignupLink(tx, actor.companyId, user.id, now, deps.config.linkTtlMs, user.email);
  const signUpUrl = new URL(`/signup/${link.token}`, deps.config.publicUrl).toString();
  const mail = inviteEmail({
    companyName: company.name,
    username: user.username,
    role: user.role === 'master' ? 'master' : 'user',
    inviterName: inviter?.display_name ?? null,
    signUpUrl,
    expiresAt: new Date(link.expiresAt),
  });
  await enqueueMail(tx, deps.secrets, now, { companyId: actor.companyId, to: user.email, userId: user.id, ...mail });
  return { expiresAt: link.expiresAt };
}

/** Who sends an invitation, as the user's row records it: the Master, or the API client. */
const invitedByOf = (actor: Actor) => ({
  invitedBy: actorUserId(actor),
  invitedByClient: actor.kind === 'api_client' ? actor.apiClientId : null,
});

/** One invitation in its own transaction: the user, the link, the mail and the audit event. */
export async function inviteUser(
  deps: CoreDeps,
  actor: Actor,
  input: InviteInput,
  meta: RequestMeta,
  detail: Record<string, unknown> = {},
): Promise<{ user: UserRow; expiresAt: number }> {
  const result = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    await assertActorStillAdministrator(tx, actor);
    await openInvitation(tx, actor);
    const user = await createUser(
      tx,
      actor.companyId,
      {
        username: input.username,
        email: input.email,
        displayName: input.displayName || input.username,
        role: input.role,
        ...invitedByOf(actor),
      },
      now,
      deps.config.companyTotals.users,
    );
    const sent = await queueInvite(deps, tx, actor, user, now);
    await auditAdminAction(tx, now, actor, user, 'user.invited', meta, { role: user.role, email: user.email, ...detail });
    // A Master invited is a lasting way in (bulk invites pass here too): every Master is told.
    if (user.role === 'master') await queueCompanyNotice(deps, tx, actor, 'master_invited', user.username);
    return { user, expiresAt: sent.expiresAt };
  });
  deps.mailQueued();
  return result;
}

/** A fresh invite email; the earlier Sign Up link stops working. */
export async function resendInvite(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta) {
  const result = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    await openInvitation(tx, actor);
    const target = await loadTarget(tx, actor, userId);
    if (target.status === 'disabled') throw new GatehouseError('user.disabled');
    // Only an invitee has a Sign Up link to resend: not one who set a password, nor one the
    // company's identity provider signed in (no password, yet no invitee either).
    if (target.status !== 'invited' || target.password_hash !== null) throw new GatehouseError('user.already_signed_up');
    // Whoever resends stands behind the invitation from now on (signup.ts, inviterStillStands):
    // a Master whose inviter has gone can be invited again by another.
    const { invitedBy, invitedByClient } = invitedByOf(actor);
    await tx
      .updateTable('users')
      .set({ invited_by: invitedBy, invited_by_client: invitedByClient })
      .where('company_id', '=', actor.companyId)
      .where('id', '=', target.id)
      .execute();
    const sent = await queueInvite(deps, tx, actor, target, now);
    await auditAdminAction(tx, now, actor, target, 'user.invite_resent', meta);
    return sent;
  });
  deps.mailQueued();
  return result;
}
