// Forgot company name: one email to the address, listing the companies where it belongs
// to an active user, at most one a minute per address (mail/send-caps.ts), and only so
// many requests per client network (shared/anonymous-writes.ts). The answer to
// the request is the same whether any exist.
import { recordAudit } from '../audit/index.ts';
import { companyNamesCap, companyNamesEmail, enqueueMail } from '../mail/index.ts';
import { requireAnonymousWrite } from '../shared/anonymous-writes.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { spendRateSlot, type Queryable } from '../storage/index.ts';

export async function sendCompanyNames(deps: CoreDeps, email: string, meta: RequestMeta) {
  // Audited and maybe mailed: capped per client network before the address is looked up,
  // so the 429 is the same whether it is known (the mail cap above is per address only).
  await requireAnonymousWrite(deps.db, 'companyNameRequests', meta.ip, deps.clock());
  const address = email.toLowerCase();
  // The address's one mail a minute, spent first in a statement of its own, known or not:
  // taken in the transaction that queues the mail, it held the counter's row while the
  // mail was queued, so a burst naming a known address queued on it, and the answers'
  // time (the floor is only a minimum) told that the address has accounts.
  if (!(await spendRateSlot(deps.db, companyNamesCap(address), deps.clock()))) {
    await auditNamesRequest(deps.db, deps.clock(), meta, 'throttled', 0);
    return;
  }
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
  const first = accounts[0];
  if (!first) {
    await auditNamesRequest(deps.db, deps.clock(), meta, 'no_match', 0);
    return;
  }
  await deps.db.transaction().execute(async (tx) => {
    const mail = companyNamesEmail({ accounts: accounts.map(({ companyName, username }) => ({ companyName, username })) });
    await enqueueMail(tx, deps.secrets, deps.clock(), { companyId: null, to: first.email, ...mail });
    await auditNamesRequest(tx, deps.clock(), meta, 'sent', accounts.length);
  });
  deps.mailQueued();
}

function auditNamesRequest(db: Queryable, now: number, meta: RequestMeta, outcome: 'sent' | 'throttled' | 'no_match', companies: number) {
  return recordAudit(db, now, {
    companyId: null,
    actorId: null,
    action: 'company_names.requested',
    ip: meta.ip,
    userAgent: meta.userAgent,
    detail: { outcome, companies },
  });
}
