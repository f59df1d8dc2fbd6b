// Suspend and reactivate change a company only from the other state
// (src/companies/suspension.ts setCompanySuspended): suspending an active company,
// reactivating a suspended one. Asked of a company already in the state asked for, they
// answer 200 and do nothing: no event in the trail, no token, session or link ended, as a
// revoke of a module never granted leaves no event. Before, "Reactivate" on an active
// company ended every token its API clients held and recorded company.reactivated, and
// "Suspend" on a suspended one recorded company.suspended again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { apiClient, callApi, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, operatorAgent } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

for (const engine of await enginesUnderTest()) describe(`suspend and reactivate: only from the other state (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let platform: string;
  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    const operations = await apiClient(server, { name: 'Operations', scopes: ['companies:write'], companyId: null });
    platform = await tokenFor(server, operations.client.clientId, operations.clientSecret);
  });
  after(() => server.close());

  const fromConsole = (companyId: string, action: 'suspend' | 'reactivate') =>
    withFreshProof(server, operator, () => operator.post(`/api/operator/companies/${companyId}/${action}`));
  const api = (companyId: string, action: 'suspend' | 'reactivate') => sendApi(server, 'POST', `/api/v1/companies/${companyId}/${action}`, platform);
  async function trail(companyId: string) {
    const rows = await server.gatehouse.deps.db
      .selectFrom('audit_events')
      .select('action')
      .where('company_id', '=', companyId)
      .where('action', 'in', ['company.suspended', 'company.reactivated'])
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => row.action);
  }
  async function status(companyId: string) {
    return (await server.gatehouse.deps.db.selectFrom('companies').select('status').where('id', '=', companyId).executeTakeFirstOrThrow()).status;
  }

  test("reactivating an active company answers 200 and changes nothing: its API clients' tokens and its users' sessions go on, no event", async () => {
    const company = await companyWithRootMaster(server, operator, 'Busy Integrations Co', 'root@busy.test');
    const own = await apiClient(server, { scopes: ['users:read'], companyId: company.companyId });
    const token = await tokenFor(server, own.client.clientId, own.clientSecret);
    const users = `/api/v1/companies/${company.companyId}/users`;
    assert.equal((await callApi(server, users, token)).status, 200);

    assert.equal((await fromConsole(company.companyId, 'reactivate')).status, 200);
    assert.equal((await api(company.companyId, 'reactivate')).status, 200);

    assert.equal(await status(company.companyId), 'active');
    assert.deepEqual(await trail(company.companyId), [], 'no company.reactivated for a company that was not suspended');
    assert.equal((await callApi(server, users, token)).status, 200, "the company's API client keeps its token");
    assert.equal((await company.root.agent.get('/api/me')).status, 200, "the Root Master's session goes on");
  });

  test('suspending a suspended company answers 200 and records nothing more; reactivating it twice, once', async () => {
    const company = await companyWithRootMaster(server, operator, 'Twice Told Co', 'root@twice.test');
    assert.equal((await api(company.companyId, 'suspend')).status, 200);
    assert.equal((await fromConsole(company.companyId, 'suspend')).status, 200);
    assert.equal((await api(company.companyId, 'suspend')).status, 200);
    assert.equal(await status(company.companyId), 'suspended');
    assert.deepEqual(await trail(company.companyId), ['company.suspended']);

    assert.equal((await fromConsole(company.companyId, 'reactivate')).status, 200);
    assert.equal((await api(company.companyId, 'reactivate')).status, 200);
    assert.equal(await status(company.companyId), 'active');
    assert.deepEqual(await trail(company.companyId), ['company.suspended', 'company.reactivated']);

    // A company that does not exist is still not found, whatever it is asked.
    const missing = '5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f';
    for (const action of ['suspend', 'reactivate'] as const) {
      assert.equal((await fromConsole(missing, action)).status, 404);
      assert.equal((await api(missing, action)).status, 404);
    }
  });
});
