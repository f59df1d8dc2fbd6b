// Forgot password: a reset link by email, then a new password. The request never tells
// whether the account exists; the reset consumes the link and stores the password in one
// transaction, ends every session and token, and signs nobody in: the next login still
// asks for the authenticator code.
import { passwordRuleFor } from '../credentials/index.ts';
import { recordAudit } from '../audit/index.ts';
import { findCompanyByName, getCompany } from '../companies/store.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { activeProvider, passwordClosedFor } from '../login/index.ts';
import { enqueueMail, passwordManagedEmail, passwordResetCap, passwordResetEmail, securityNoticeEmail } from '../mail/index.ts';
import { requireAnonymousWrite } from '../shared/anonymous-writes.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { spendRateSlot, type Queryable } from '../storage/index.ts';
import { endUserAccess } from './access.ts';
import { consumeAccountLink, findLiveAccountLink, issueAccountLink, revokeAccountLinks } from './account-links.ts';
import { requireAcceptablePassword } from './new-password.ts';
import { findUserByUsername, lockUser } from './store.ts';
import { NO_SUCH_ID } from '../shared/no-such-id.ts';

export const RESET_LINK_TTL_MS = 3_600_000;
/**
 * Sends a reset link when the user exists and is active; otherwise does nothing visible.
 * The user is read in the transaction that issues the link, with its row locked
 * (lockUser): a deletion or deactivation racing the request either went first (nothing is
 * sent) or waits for the link and then removes or revokes it. Read before, the user could
 * go in between, and the link's insert failed (a 500 where everyone gets the same answer)
 * or a link was left for a user just deactivated. The company's status is read after that
 * lock, in a statement of its own: a suspension locks the company's row, then each user's
 * (endUserAccess), and revokes the links last, so it either waits for this link and
 * revokes it, or held the user's row until it committed and this reads it suspended. On
 * PostgreSQL, under READ COMMITTED, the status read with the name, before the lock, was
 * still active then, and the link issued after the revoke worked again once the company
 * was reactivated. (Locking the company's row instead would put anonymous requests in the
 * queue of every company-wide change, and before the user's row, against the order of an
 * administrator's change to a user: user, then company.)
 */
export async function requestPasswordReset(deps: CoreDeps, input: { username: string; companyName: string }, meta: RequestMeta) {
  // Each request is audited and may mail someone: capped per client network, spent before
  // anything is looked up (its own commit), so the 429 is the same whoever was named.
  await requireAnonymousWrite(deps.db, 'passwordResetRequests', meta.ip, deps.clock());
  // One request a minute per account named goes on to the work below: the mail cap's slot
  // is spent first, in a statement of its own, by everyone (an unknown name spends one of
  // its own, so both cost the same). Taken inside the transaction, after the user's lock,
  // a burst naming a real account queued on that row behind the one doing the work, and
  // the answers' time (the floor is only a minimum) told that the account exists.
  const { company, user: named } = await namedAccount(deps, input);
  const admitted = await spendRateSlot(deps.db, passwordResetCap(named?.id ?? `unknown:${input.companyName}\u0000${input.username}`), deps.clock());
  if (!admitted) {
    await auditResetRequest(deps.db, deps.clock(), meta, company?.id ?? null, named?.id ?? null, 'throttled');
    return;
  }
  const sent = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    // The ids read above, not the names again: a company's name and a user's never change,
    // so the ids still stand for what the request named, and the slot spent is this user's.
    // A user deleted since is not found here; one created under the name since was spent
    // no slot and is not served. What can change is read again, after the lock: the user's
    // status, and the company's in a statement of its own. Both run either way (NO_SUCH_ID),
    // so both branches cost the same.
    const user = await lockUser(tx, company?.id ?? NO_SUCH_ID, named?.id ?? NO_SUCH_ID);
    const current = await getCompany(tx, company?.id ?? NO_SUCH_ID);
    const provider = await activeProvider(tx, company?.id ?? NO_SUCH_ID);
    const active = current?.status === 'active' && user?.status === 'active' ? user : undefined;
    // Active without a password (created by single sign-on), or whose password the company's
    // single sign-on closes (sso-only, not break-glass: the login's own rule, passwordClosedFor):
    // told by email where the password lives, with no link to set one that would sign no one
    // in (the page answers the same for everyone, so nothing is enumerated). One mail a
    // minute per user, whichever of the two it is (mail/send-caps.ts): the slot spent above.
    const closed = active !== undefined && current !== undefined && passwordClosedFor(active, { providerOn: provider !== undefined, ssoMode: current.sso_mode });
    const federated = active?.password_hash === null || closed ? active : undefined;
    const eligible = federated ? undefined : active;
    const outcome = federated ? 'managed_by_provider' : eligible ? 'sent' : user ? 'not_active' : 'no_match';
    if (current && federated) {
      const mail = passwordManagedEmail({ companyName: current.name, username: federated.username, providerName: provider?.name ?? null });
      await enqueueMail(tx, deps.secrets, now, { companyId: current.id, to: federated.email, userId: federated.id, ...mail });
    }
    if (current && eligible) {
      const link = await issueAccountLink(tx, { companyId: current.id, userId: eligible.id, purpose: 'reset_password' }, now, RESET_LINK_TTL_MS);
      const resetUrl = new URL(`/reset-password/${link.token}`, deps.config.publicUrl).toString();
      const mail = passwordResetEmail({ companyName: current.name, username: eligible.username, resetUrl, expiresAt: new Date(link.expiresAt) });
      await enqueueMail(tx, deps.secrets, now, { companyId: current.id, to: eligible.email, userId: eligible.id, ...mail });
    }
    await auditResetRequest(tx, now, meta, company?.id ?? null, user?.id ?? null, outcome);
    return outcome === 'sent' || outcome === 'managed_by_provider';
  });
  if (sent) deps.mailQueued();
}

/**
 * The company and the user a request names, read without a lock: whose mail cap to spend,
 * and the ids the transaction locks and reads again.
 */
async function namedAccount(deps: CoreDeps, input: { username: string; companyName: string }) {
  const company = await findCompanyByName(deps.db, input.companyName);
  return { company, user: await findUserByUsername(deps.db, company?.id ?? NO_SUCH_ID, input.username) };
}

function auditResetRequest(db: Queryable, now: number, meta: RequestMeta, companyId: string | null, target: string | null, outcome: string) {
  return recordAudit(db, now, {
    companyId,
    actorId: null,
    action: 'password.reset_requested',
    target,
    ip: meta.ip,
    userAgent: meta.userAgent,
    detail: { outcome },
  });
}

async function describeLink(deps: CoreDeps, token: string) {
  const link = await findLiveAccountLink(deps.db, 'reset_password', token, deps.clock());
  assertThat(link, 'link.invalid');
  const found = await deps.db
    .selectFrom('users')
    .innerJoin('companies', 'companies.id', 'users.company_id')
    .select(['users.username', 'users.email', 'users.role', 'users.sso_break_glass', 'companies.name as companyName', 'companies.sso_mode'])
    .where('users.company_id', '=', link.company_id)
    .where('users.id', '=', link.user_id)
    .where('users.status', '=', 'active')
    .where('companies.status', '=', 'active')
    .executeTakeFirst();
  assertThat(found, 'link.invalid');
  // A link mailed before the company's single sign-on closed this user's password sets none.
  const providerOn = (await activeProvider(deps.db, link.company_id)) !== undefined;
  assertThat(!passwordClosedFor(found, { providerOn, ssoMode: found.sso_mode }), 'link.invalid');
  const { username, email, companyName } = found;
  return { username, email, companyName, companyId: link.company_id, expiresAt: link.expires_at };
}

/** What the reset page shows: whose password is being reset. */
export async function describePasswordReset(deps: CoreDeps, token: string) {
  const { companyName, username, expiresAt, companyId } = await describeLink(deps, token);
  return { companyName, username, expiresAt, passwordPolicy: await passwordRuleFor(deps.db, companyId) };
}

export async function completePasswordReset(deps: CoreDeps, input: { token: string; password: string; confirm: string }, meta: RequestMeta) {
  const described = await describeLink(deps, input.token);
  await requireAcceptablePassword(
    deps.db,
    described.companyId,
    { password: input.password, confirm: input.confirm, fields: { password: 'password', confirm: 'confirm' } },
    described,
  );
  const passwordHash = await deps.hasher.hash(input.password);
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const link = await consumeAccountLink(tx, 'reset_password', input.token, now);
    assertThat(link, 'link.invalid');
    const stored = await tx
      .updateTable('users')
      // The lockout count and any lock stay: the mailbox proves the password, not the second
      // factor, so a reset must not hand out fresh guesses at the authenticator code (one
      // reset a minute would be five more guesses a minute). A lock runs out as always.
      // The link was mailed to the address on file (a new address revokes it): that
      // address reaches the user.
      .set({ password_hash: passwordHash, email_verified_at: now })
      .where('company_id', '=', link.company_id)
      .where('id', '=', link.user_id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (Number(stored.numUpdatedRows) !== 1) throw new GatehouseError('link.invalid');
    await revokeAccountLinks(tx, link.company_id, link.user_id, 'reset_password', now);
    await endUserAccess(tx, now, link.company_id, link.user_id, 'password_reset');
    await recordAudit(tx, now, {
      companyId: link.company_id,
      actorId: link.user_id,
      action: 'password.reset_completed',
      target: link.user_id,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    const notice = securityNoticeEmail({ companyName: described.companyName, username: described.username, change: 'password_reset' });
    await enqueueMail(tx, deps.secrets, now, { companyId: link.company_id, to: described.email, userId: link.user_id, ...notice });
  });
  deps.mailQueued();
}
