// Changing one's email address: the password proves the person, a link sent to the new
// address proves the mailbox, and the old address is told, with a link that cancels the
// change. Nothing changes until the confirm link is used; using it is one transaction
// (consume the link, store the address). A pending change dies with every action that
// ends the user's access (endUserAccess): confirming needs no session, so a change asked
// for from a stolen session must not outlive the victim's recovery. Storing a new address,
// from here or from the company's identity provider, is changeUserEmail's alone.
import { recordAudit } from '../audit/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { confirmEmailChangeEmail, emailChangeCap, emailChangeNoticeEmail, enqueueMail } from '../mail/index.ts';
import type { SignedIn } from '../sessions/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { consumeAccountLink, findLiveAccountLink, findPendingAccountLink, issueAccountLink, revokeAccountLinks } from './account-links.ts';
import { takeRateSlot, type Queryable } from '../storage/index.ts';
import { requireCurrentPassword, stillProved } from './self-service.ts';
import { lockUser } from './store.ts';

export const EMAIL_CHANGE_TTL_MS = 24 * 3_600_000;

export async function requestEmailChange(deps: CoreDeps, me: SignedIn, input: { email: string; password: string }, meta: RequestMeta) {
  const user = await requireCurrentPassword(deps, me, input.password, 'password', meta, 'email.managed_by_provider');
  if (input.email.toLowerCase() === user.email.toLowerCase()) return keepCurrentEmail(deps, me, user.password_hash, meta);
  const result = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    // The password was checked before: a recovery in the meantime (the victim changing it,
    // signing out everywhere) must not leave a change asked for from the session it ended.
    await stillProved(tx, me, user.password_hash);
    // Each request mails an address the user typed: capped, so a signed-in user cannot
    // use Gatehouse's mail domain to flood someone (mail/send-caps.ts).
    if (!(await takeRateSlot(tx, emailChangeCap(me.userId), now))) throw new GatehouseError('email.rate_limited');
    const link = await issueAccountLink(
      tx,
      { companyId: me.companyId, userId: me.userId, purpose: 'confirm_email', data: input.email },
      now,
      EMAIL_CHANGE_TTL_MS,
    );
    const cancel = await issueAccountLink(tx, { companyId: me.companyId, userId: me.userId, purpose: 'cancel_email' }, now, EMAIL_CHANGE_TTL_MS);
    const confirmUrl = new URL(`/confirm-email/${link.token}`, deps.config.publicUrl).toString();
    const cancelUrl = new URL(`/cancel-email/${cancel.token}`, deps.config.publicUrl).toString();
    const names = { companyName: me.companyName, username: me.username };
    const confirm = confirmEmailChangeEmail({ ...names, confirmUrl, expiresAt: new Date(link.expiresAt) });
    await enqueueMail(tx, deps.secrets, now, { companyId: me.companyId, to: input.email, userId: me.userId, ...confirm });
    const notice = emailChangeNoticeEmail({ ...names, newEmail: input.email, cancelUrl, expiresAt: new Date(cancel.expiresAt) });
    await enqueueMail(tx, deps.secrets, now, { companyId: me.companyId, to: user.email, userId: me.userId, ...notice });
    await recordAudit(tx, now, {
      companyId: me.companyId,
      actorId: me.userId,
      action: 'email.change_requested',
      target: me.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { to: input.email },
    });
    return { pendingEmail: input.email, expiresAt: link.expiresAt };
  });
  deps.mailQueued();
  return result;
}

/**
 * The current address asked for again: a change waiting for confirmation (a typo, an
 * address given up) is withdrawn, its confirm and cancel links revoked, so no one who reads
 * the other mailbox can confirm it later; nothing waiting, nothing to change.
 */
async function keepCurrentEmail(deps: CoreDeps, me: SignedIn, passwordHash: string | null, meta: RequestMeta) {
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    await stillProved(tx, me, passwordHash);
    const pending = await findPendingAccountLink(tx, me.companyId, me.userId, 'confirm_email', now);
    if (!pending) throw new GatehouseError('email.unchanged', { fields: { email: 'This is already your email address.' } });
    await revokePendingEmailChanges(tx, me.companyId, me.userId, now);
    await recordAudit(tx, now, {
      companyId: me.companyId,
      actorId: me.userId,
      action: 'email.change_withdrawn',
      target: me.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { to: pending.data },
    });
    return { pendingEmail: null, expiresAt: null };
  });
}

export async function confirmEmailChange(deps: CoreDeps, token: string, meta: RequestMeta) {
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    // The user's row before the link's, the order of every revocation (endUserAccess takes
    // the user's row, then revokes the pending change): a confirm racing "sign out
    // everywhere" waits for it, or it for the confirm, instead of each holding what the
    // other needs next (a deadlock on PostgreSQL).
    const live = await findLiveAccountLink(tx, 'confirm_email', token, now);
    assertThat(live, 'link.invalid');
    await lockUser(tx, live.company_id, live.user_id);
    const link = await consumeAccountLink(tx, 'confirm_email', token, now);
    assertThat(link?.data, 'link.invalid');
    const before = await tx
      .selectFrom('users')
      .select('email')
      .where('company_id', '=', link.company_id)
      .where('id', '=', link.user_id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    // A user deactivated meanwhile: the error rolls the consumption back with it.
    assertThat(before, 'link.invalid');
    await changeUserEmail(tx, { companyId: link.company_id, userId: link.user_id }, link.data, now, true);
    await recordAudit(tx, now, {
      companyId: link.company_id,
      actorId: link.user_id,
      action: 'email.changed',
      target: link.user_id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { from: before.email, to: link.data },
    });
    return { email: link.data };
  });
}

/**
 * The old address's link: ends the pending change, once. The confirm links are revoked
 * before the cancel link is consumed, the same row order as confirming, so a confirm and
 * a cancel racing each other serialize on the confirm row: exactly one of them wins.
 */
export async function cancelEmailChange(deps: CoreDeps, token: string, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const live = await findLiveAccountLink(tx, 'cancel_email', token, now);
    assertThat(live, 'link.invalid');
    await revokeAccountLinks(tx, live.company_id, live.user_id, 'confirm_email', now);
    const link = await consumeAccountLink(tx, 'cancel_email', token, now);
    assertThat(link, 'link.invalid');
    await recordAudit(tx, now, {
      companyId: link.company_id,
      actorId: null,
      action: 'email.change_cancelled',
      target: link.user_id,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
  });
  return { cancelled: true };
}

/**
 * The one writer of users.email after the user was created: My Settings' confirmed change
 * (confirmEmailChange) and the company's identity provider at sign-in (src/sso/sign-in.ts).
 * What was mailed to the previous address, or started from it, stops working with it:
 * password-reset and Sign Up links (whoever reads that mailbox now must not set a
 * password), and a pending email change (its confirm link, and the previous address's
 * cancel link). Confirm links are revoked before cancel links, the row order
 * cancelEmailChange takes, so of a racing confirm and cancel exactly one wins. The caller
 * audits, and says who changed the address. `proved`: the new address was proved to reach
 * the user (a confirm link mailed to it, used); an address from the company's identity
 * provider was not, and modules are told so (email_verified false).
 */
export async function changeUserEmail(db: Queryable, user: { companyId: string; userId: string }, email: string, now: number, proved: boolean): Promise<void> {
  await revokePendingEmailChanges(db, user.companyId, user.userId, now);
  for (const purpose of ['reset_password', 'signup'] as const) await revokeAccountLinks(db, user.companyId, user.userId, purpose, now);
  await db
    .updateTable('users')
    .set({ email, email_verified_at: proved ? now : null })
    .where('company_id', '=', user.companyId)
    .where('id', '=', user.userId)
    .execute();
}

/**
 * Called by endUserAccess (password change or reset, sign out everywhere, 2FA reset,
 * deactivation, deletion, company suspension) and when one session is ended. The wall
 * clock only dates the revocation: whether a link is live is `revoked_at is null`.
 */
export async function revokePendingEmailChanges(db: Queryable, companyId: string, userId: string, now = Date.now()) {
  await revokeAccountLinks(db, companyId, userId, 'confirm_email', now);
  await revokeAccountLinks(db, companyId, userId, 'cancel_email', now);
}
