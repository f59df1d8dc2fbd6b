// The invitation a new company's Root Master sends, as its recipient receives it: for tests
// of what a company's name (which its Masters chose) does in platform mail.
import assert from 'node:assert/strict';
import type { Agent } from './agent.ts';
import { companyWithRootMaster } from './company-admin.ts';
import type { TestServer } from './server.ts';
import { withFreshProof } from './step-up.ts';

/** Company `n` named `companyName` invites `invitee<n>@elsewhere.test`; its captured mail. */
export async function invitationFrom(server: TestServer, operator: Agent, companyName: string, n: number) {
  const company = await companyWithRootMaster(server, operator, companyName, `root${n}@invitation-mail.test`);
  const admin = company.root.agent;
  const to = `invitee${n}@elsewhere.test`;
  const invited = await withFreshProof(server, admin, () => admin.post('/api/company/users', { email: to, username: `invitee${n}`, role: 'user' }));
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  return server.mail.waitFor((m) => m.to.includes(to));
}
