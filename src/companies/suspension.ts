// Operators suspend a company (unpaid, compromised, leaving) and reactivate it. Suspending
// ends every session and module token of its users, revokes their emailed links and ends
// the tokens its API clients hold, in the same transaction; while suspended, its users
// cannot log in (the same answer as a wrong password), modules get no tokens for them and
// its API clients get none. Reactivating brings none of it back: the clients get new tokens,
// and a token stored late by a request in flight during the suspension is ended then.
// Each changes a company only from the other state: asked to suspend a suspended company,
// or to reactivate an active one, it answers as done and does nothing, with no event (as
// a revoke of a module never granted). Reactivating an active company once ended every
// token its API clients held and recorded company.reactivated.
import { endCompanyClientTokens } from '../api-clients/index.ts';
import { recordAudit } from '../audit/index.ts';
import { assertThat } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { endUserAccess, revokeLiveLinks } from '../users/index.ts';
import { deciderOf, type Decider } from './onboarding.ts';

export async function setCompanySuspended(
  deps: CoreDeps,
  companyId: string,
  suspended: boolean,
  actor: Decider,
  meta: RequestMeta,
): Promise<void> {
  const by = deciderOf(actor);
  await deps.db.transaction().execute(async (tx) => {
    const company = await tx
      .updateTable('companies')
      .set({ status: suspended ? 'suspended' : 'active' })
      .where('id', '=', companyId)
      // The platform company cannot be suspended: it would lock every operator out.
      .where('is_platform', '=', 0)
      // One conditional update decides: of two suspensions at once, the second (on
      // PostgreSQL, checking its WHERE again once the first commits) changes nothing.
      .where('status', '=', suspended ? 'active' : 'suspended')
      .returning(['id', 'name'])
      .executeTakeFirst();
    if (!company) {
      const exists = await tx.selectFrom('companies').select('id').where('id', '=', companyId).where('is_platform', '=', 0).executeTakeFirst();
      assertThat(exists, 'request.not_found');
      return;
    }
    if (suspended) {
      const users = await tx.selectFrom('users').select('id').where('company_id', '=', companyId).execute();
      for (const user of users) await endUserAccess(tx, deps.clock(), companyId, user.id, 'company_suspended');
      // Revoked, never just paused: a company is suspended when it is compromised, too, and
      // an invitation an intruder sent to their own address, or a reset link in a mailbox
      // they read, must not come back to life on reactivation. Masters resend invitations,
      // operators the welcome.
      await revokeLiveLinks(tx, { companyId }, deps.clock());
    }
    // Likewise an API token got with a stolen secret (the secret itself is the Master's to
    // rotate): ended on suspension, and again on reactivation. A token request reads its
    // client, then stores its token, and one that read the client just before the
    // suspension committed stores its token just after the suspension's delete; the guard
    // refuses it while the company is suspended, and reactivation ends it. None is
    // legitimate then: a suspended company's clients are issued nothing.
    await endCompanyClientTokens(tx, companyId);
    await recordAudit(tx, deps.clock(), {
      companyId,
      actorId: by.actorId,
      actorClientId: by.actorClientId,
      action: suspended ? 'company.suspended' : 'company.reactivated',
      target: companyId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { company: company.name },
    });
  });
}
