// The mail that tells a user of a security change to their own account (a password
// changed or reset, 2FA reset, a key added or removed, new recovery codes, an API client's
// secret handed out to them), so a change
// made by whoever borrowed a session reaches the owner's mailbox. Queued in the change's
// transaction: it goes exactly when the change commits.
import { enqueueMail, securityNoticeEmail, type SecurityChange } from '../mail/index.ts';
import type { CoreDeps } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';

export async function queueSecurityNotice(deps: CoreDeps, tx: Queryable, who: { companyId: string; userId: string }, change: SecurityChange): Promise<void> {
  const user = await tx
    .selectFrom('users')
    .innerJoin('companies', 'companies.id', 'users.company_id')
    .select(['users.email', 'users.username', 'companies.name as companyName'])
    .where('users.company_id', '=', who.companyId)
    .where('users.id', '=', who.userId)
    .executeTakeFirst();
  if (!user) return;
  const mail = securityNoticeEmail({ companyName: user.companyName, username: user.username, change });
  await enqueueMail(tx, deps.secrets, deps.clock(), { companyId: who.companyId, to: user.email, ...mail });
}
