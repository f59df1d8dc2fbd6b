// A Master demoted or deactivated while their request is in flight makes nothing a
// Master's (test/http/demoted-master-race.test.ts holds this for users, invitations, API
// clients and 2FA resets: assertStillMaster in the change's transaction). The audience
// guard read the role from the session as the request came in, and a demotion ends no
// session; the company's policy and its groups are Masters' changes too, and were still
// made by someone who was no longer a Master when they were written: a deactivated Master
// clearing the IP allowlist, a demoted one joining the group that gives a module. Raced by
// holding the request just before its transaction begins (held-transaction.ts). Over HTTP,
// on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextTransaction, racedAtHold, type HeldTransaction } from '../helpers/held-transaction.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

interface Answer {
  status: number;
  body: any;
}

for (const engine of await enginesUnderTest()) describe(`a Master demoted while their company change is in flight changes nothing (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let operator: Agent;
  let made = 0;

  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Acme Late Masters', 'root@late-masters.test');
  });
  after(() => server.close());

  const root = () => acme.root.agent;
  const person = (role: 'master' | 'user') => invitedMember(server, acme, root(), { username: `${role}${++made}`, role });
  const ok = (answer: Answer, status = 200) => assert.equal(answer.status, status, JSON.stringify(answer.body));
  const asRoot = (path: string, body?: unknown) => withFreshProof(server, root(), () => root().post(path, body));

  /** Holds `request` just before its transaction, runs `demote` meanwhile, then lets it go on. */
  const racingDemotion = (hold: HeldTransaction, request: () => Promise<Answer>, demote: () => Promise<void>) => racedAtHold(hold, request, demote);

  test("a Master deactivated while clearing the company's IP allowlist: refused, the list stands", async () => {
    ok(await asRoot('/api/company/policy', { ipAllowlist: ['127.0.0.1', '10.0.0.0/8'] }));
    const mia = await person('master');
    const answer = await racingDemotion(
      holdNextTransaction(server, '/src/companies/policy.ts'),
      () => withFreshProof(server, mia.agent, () => mia.agent.post('/api/company/policy', { ipAllowlist: [] })),
      async () => ok(await asRoot(`/api/company/users/${mia.id}/deactivate`)),
    );
    const list = (await root().get('/api/company/policy')).body.policy.ipAllowlist;
    ok(await asRoot('/api/company/policy', { ipAllowlist: [] }));
    assert.deepEqual(list, ['127.0.0.1/32', '10.0.0.0/8'], `a Master deactivated meanwhile cleared the allowlist (answered ${answer.status} ${JSON.stringify(answer.body)})`);
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
  });

  test('a Master demoted while adding themselves to a group: refused, not a member', async () => {
    const created = await root().post('/api/company/groups', { name: `Finance ${made}` });
    ok(created, 201);
    const groupId = created.body.group.id as string;
    const mia = await person('master');
    const answer = await racingDemotion(
      holdNextTransaction(server, '/src/groups/admin.ts'),
      () => mia.agent.post(`/api/company/groups/${groupId}/members`, { userId: mia.id }),
      async () => ok(await asRoot(`/api/company/users/${mia.id}/role`, { role: 'user' })),
    );
    const groups = (await root().get('/api/company/groups')).body.groups as { id: string; members: { id: string }[] }[];
    const members = groups.find((g) => g.id === groupId)?.members.map((m) => m.id) ?? [];
    assert.equal(members.includes(mia.id), false, `a Master demoted meanwhile joined the group (answered ${answer.status} ${JSON.stringify(answer.body)})`);
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
  });

  test('an operator deactivated while entering an account request: refused, no request made', async () => {
    const operators = () => dbOf(server).selectFrom('users').innerJoin('companies', 'companies.id', 'users.company_id').where('companies.is_platform', '=', 1);
    const companyName = 'Late Operator Co';
    const answer = await racingDemotion(
      holdNextTransaction(server, '/src/http/routes/operator.ts'),
      () => operator.post('/api/operator/requests', { companyName, contactName: 'Lee Late', email: 'lee@late-operator.test', phone: '+1 555 0199', note: '' }),
      // Operators are kept on the server; a hand edit stands for whatever takes one away.
      async () => void (await dbOf(server).updateTable('users').set({ status: 'disabled' }).where('id', 'in', operators().select('users.id')).execute()),
    );
    await dbOf(server).updateTable('users').set({ status: 'active' }).where('id', 'in', operators().select('users.id')).execute();
    const made = await dbOf(server).selectFrom('account_requests').select('id').where('company_name', '=', companyName).execute();
    assert.deepEqual(made, [], `a request entered by an operator deactivated meanwhile (answered ${answer.status} ${JSON.stringify(answer.body)})`);
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
  });
});
