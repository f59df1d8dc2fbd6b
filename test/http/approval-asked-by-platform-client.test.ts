// A 2FA reset asked under the two-person rule names who asked, for the Master who
// decides it, whichever door it came through. Asked by a Master in the console, or by the
// company's own API client, GET /api/company/approvals names the requester. Asked by a
// platform API client (an operator's: it holds mfa:reset for every company), the same
// approval is listed with no requester at all (id, username and apiClient all null):
// listPendingApprovals joins the client on the approval's company, and a platform
// client has none. The Master approving a reset of a colleague's 2FA could not tell who
// asked for it, or that anyone did (docs/API.md: "apiClient ... when an API client asked").
// Both reads of the asking client (the list, the decision) now take a platform client too
// (clientMayAskIn, src/users/two-factor-reset.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, invitedMember, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { proveSession } from '../helpers/step-up.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('doors: who asked for a waiting 2FA reset (sqlite)', () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  let uma: Person;
  let ulla: Person;
  let companyClient: { clientId: string; secret: string };
  let platformClient: { clientId: string; secret: string };

  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    operator = await signedInOperator(server);
    await proveSession(server, operator);
    acme = await companyWithRootMaster(server, operator.agent, 'Acme Doors', 'root@acme.test');
    uma = await invitedMember(server, acme, acme.root.agent, { username: 'uma', role: 'user' });
    ulla = await invitedMember(server, acme, acme.root.agent, { username: 'ulla', role: 'user' });
    // The company's own client, made by its Root Master; a platform client, made by the operator.
    const own = await acme.root.agent.post('/api/company/api-clients', { name: 'Acme offboarding', scopes: ['mfa:reset'], ...proofOf(server, acme.root) });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    companyClient = { clientId: own.body.client.clientId, secret: own.body.clientSecret };
    server.clock.advance(30_000);
    const platform = await operator.agent.post('/api/operator/api-clients', { name: 'MSP helpdesk', scopes: ['mfa:reset'], ...proofOf(server, operator) });
    assert.equal(platform.status, 201, JSON.stringify(platform.body));
    platformClient = { clientId: platform.body.client.clientId, secret: platform.body.clientSecret };
    await proveSession(server, acme.root);
    assert.equal((await acme.root.agent.post('/api/company/policy', { twoPerson2faReset: true })).status, 200);
  });
  after(() => server.close());

  test('the approval asked by a platform API client names it, as one asked by the company client does', async () => {
    const ask = async (client: { clientId: string; secret: string }, target: Person) => {
      const token = await tokenFor(server, client.clientId, client.secret);
      const asked = await sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/users/${target.id}/reset-2fa`, token);
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      return asked.body.approvalId as string;
    };
    const byCompanyClient = await ask(companyClient, uma);
    const byPlatformClient = await ask(platformClient, ulla);

    const listed = await acme.root.agent.get('/api/company/approvals');
    assert.equal(listed.status, 200);
    const find = (id: string) => listed.body.approvals.find((a: { id: string }) => a.id === id);
    // The company's client: named.
    assert.deepEqual(find(byCompanyClient).requestedBy.apiClient, { clientId: companyClient.clientId, name: 'Acme offboarding' });
    // The platform client: named the same way (today: requestedBy is { id: null, username: null, apiClient: null }).
    assert.deepEqual(find(byPlatformClient).requestedBy, { id: null, username: null, apiClient: { clientId: platformClient.clientId, name: 'MSP helpdesk' } });
  });
});
