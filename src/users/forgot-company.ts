// Forgot company name: one email to the address, listing the companies where it belongs
// to an active user, at most one a minute per address (mail/send-caps.ts), and only so
// many requests per client network (shared/anonymous-writes.ts). The answer to
// the request is the same whether any exist.
import { recordAudit } from '../audit/index.ts';
import { companyNamesCap, companyNamesEmail, enqueueMail } from '../mail/index.ts';
import { requireAnonymousWrite } from '../shared/anonymous-writes.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { takeRateSlot } from '../storage/index.ts';

export async function sendCompanyNames(deps: CoreDeps, email: string, meta: RequestMeta) {
  // Audited and maybe mailed: capped per client network before the address is looked up,
  // so the 429 is the same whether it is known (the mail cap above is per address only).
  await requireAnonymousWrite(deps.db, 'companyNameRequests', meta.ip, deps.clock());
  const address = email.toLowerCase();
  const accounts = await deps.db
    .selectFrom('users')
    .innerJoin('companies', 'companies.id', 'users.company_id')
    .select(['companies.name as companyName', 'users.username', 'users.email'])
    .where((eb) => eb(eb.fn('lower', ['users.email']), '=', address))
    .where('users.status', '=', 'active')
    .where('companies.status', '=', 'active')
    .orderBy('companies.name')
    .limit(100)
    .execute();
  const sent = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const first = accounts[0];
    const outcome = !first ? 'no_match' : (await takeRateSlot(tx, companyNamesCap(address), now)) ? 'sent' : 'throttled';
    if (first && outcome === 'sent') {
      const mail = companyNamesEmail({ accounts: accounts.map(({ companyName, username }) => ({ companyName, username })) });
      await enqueueMail(tx, deps.secrets, now, { companyId: null, to: first.email, ...mail });
    }
    await recordAudit(tx, now, {
      companyId: null,
      actorId: null,
      action: 'company_names.requested',
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { outcome, companies: outcome === 'sent' ? accounts.length : 0 },
    });
    return outcome === 'sent';
  });
  if (sent) deps.mailQueued();
}
