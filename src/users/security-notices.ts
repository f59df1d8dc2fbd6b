// The mail that tells a user of a security change to their own account (a password
// changed or reset, 2FA reset, a key added or removed, new recovery codes, an API client's
// secret handed out to them), so a change
// made by whoever borrowed a session reaches the owner's mailbox. Queued in the change's
// transaction: it goes exactly when the change commits.
//
// And the one mechanism for a change to the COMPANY (queueCompanyNotice): a new Master (or
// one reactivated), the Root Master role transferred, single sign-on set up or switched on, the policy changed, a
// user's 2FA reset by an administrator. Each gives whoever borrowed a Master's session a
// foothold that outlives the owner's recovery, so every active Master and the Root Master
// is told, the actor too (a stolen session's use is seen by its owner). The caller runs
// deps.mailQueued() after its transaction commits.
import { companyNoticeCaps, companyNoticeEmail, enqueueMail, securityNoticeEmail, type CompanyChange, type NoticeActorName, type SecurityChange } from '../mail/index.ts';
import type { CoreDeps } from '../shared/deps.ts';
import { takeRateSlot, type Queryable } from '../storage/index.ts';
import type { Actor } from './admin.ts';

/**
 * Who made a change, as the capabilities know them: an admin Actor, or (SSO settings,
 * the policy) a company with the user or the API client that acted.
 */
export type NoticeActor = Actor | { companyId: string; userId: string } | { companyId: string; apiClientId: string };

/** The actor's name as a notice shows it, read in the change's transaction when not at hand. */
async function nameOf(tx: Queryable, actor: NoticeActor): Promise<NoticeActorName> {
  if ('kind' in actor) return actor.kind === 'user' ? { username: actor.username } : { apiClientName: actor.name };
  if ('userId' in actor) {
    const user = await tx.selectFrom('users').select('username').where('company_id', '=', actor.companyId).where('id', '=', actor.userId).executeTakeFirst();
    return { username: user?.username ?? '(unknown user)' };
  }
  const client = await tx
    .selectFrom('api_clients')
    .select('name')
    .where('id', '=', actor.apiClientId)
    // The company's own client, or a platform client (no company) acting for it.
    .where((eb) => eb.or([eb('company_id', '=', actor.companyId), eb('company_id', 'is', null)]))
    .executeTakeFirst();
  return { apiClientName: client?.name ?? '(unknown API client)' };
}

export async function queueSecurityNotice(
  deps: CoreDeps,
  tx: Queryable,
  who: { companyId: string; userId: string },
  change: SecurityChange,
  /** An administrator's change to this user: the notice names them. */
  by?: NoticeActor,
  /** The address to tell instead of the one stored (the old one, when the change replaced it). */
  to?: string,
): Promise<void> {
  const user = await tx
    .selectFrom('users')
    .innerJoin('companies', 'companies.id', 'users.company_id')
    .select(['users.email', 'users.username', 'companies.name as companyName'])
    .where('users.company_id', '=', who.companyId)
    .where('users.id', '=', who.userId)
    // A deactivated user is no longer one of the company's people: their address (a former
    // employee's mailbox, often forwarded or reassigned) is told nothing of the account.
    // The company's Masters hear of an administrator's change (queueCompanyNotice).
    .where('users.status', '!=', 'disabled')
    .executeTakeFirst();
  if (!user) return;
  const now = deps.clock();
  const mail = securityNoticeEmail({ companyName: user.companyName, username: user.username, change, ...(by ? { by: await nameOf(tx, by), at: new Date(now) } : {}) });
  await enqueueMail(tx, deps.secrets, now, { companyId: who.companyId, to: to ?? user.email, userId: who.userId, ...mail });
}

/**
 * Queues a notice of `change` to every active Master and the Root Master of the actor's
 * company, in the change's transaction (a refused change rolls its notices back with it).
 * `subject` names what changed: a username or provider name, or, with `ownWords`, a list of
 * Gatehouse's own words (the policy settings changed). `details`, in Gatehouse's own words
 * too, says what of it changed (a provider's fields). Each Master is told the same notice
 * at most three times an hour, thirty notices in all, the thirtieth saying it is the last
 * (companyNoticeCaps): the trail keeps every change.
 */
export async function queueCompanyNotice(
  deps: CoreDeps,
  tx: Queryable,
  actor: NoticeActor,
  change: CompanyChange,
  subject: string,
  ownWords = false,
  details?: string,
): Promise<void> {
  const now = deps.clock();
  const company = await tx.selectFrom('companies').select('name').where('id', '=', actor.companyId).executeTakeFirst();
  if (!company) return;
  const by = await nameOf(tx, actor);
  const masters = await tx
    .selectFrom('users')
    .select(['id', 'email', 'username'])
    .where('company_id', '=', actor.companyId)
    .where('status', '=', 'active')
    .where('role', 'in', ['master', 'root_master'])
    .orderBy('username_key')
    .execute();
  for (const master of masters) {
    const caps = companyNoticeCaps(master.id, change, subject);
    if (!(await takeRateSlot(tx, caps.sameNotice, now))) continue;
    const lastThisHour = !(await takeRateSlot(tx, caps.beforeLast, now));
    if (lastThisHour && !(await takeRateSlot(tx, caps.last, now))) continue;
    const mail = companyNoticeEmail({ companyName: company.name, username: master.username, change, subject, subjectIsOwnWords: ownWords, details, by, at: new Date(now), lastThisHour });
    // Sent to them as a Master: a Master made a User before it goes does not get it (the worker checks).
    await enqueueMail(tx, deps.secrets, now, { companyId: actor.companyId, to: master.email, userId: master.id, forRole: 'master', ...mail });
  }
}
