// Managing API clients over the session API: a company's Masters manage their own
// company's clients only, operators the platform's and every company's; a secret is in
// the answer to a create or a rotate only, and each change is in the trail by name.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callApi, requestToken, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, invitedMember, type SignedInCompany } from '../helpers/company-admin.ts';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`API clients in the consoles (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let operatorSecret: string;
  let a: SignedInCompany;
  let b: SignedInCompany;
  const usersOf = (companyId: string) => `/api/v1/companies/${companyId}/users`;

  before(async () => {
    server = await startTestServer({ engine });
    ({ agent: operator, totpSecret: operatorSecret } = await signedInOperator(server));
    a = await companyWithRootMaster(server, operator, 'Alpha Support', 'root@alpha.test');
    b = await companyWithRootMaster(server, operator, 'Beta Systems', 'root@beta.test');
  });
  after(() => server.close());

  test("a Master creates, lists, rotates and deletes their company's clients", async () => {
    const created = await a.root.agent.post('/api/company/api-clients', { name: 'PSA sync', scopes: ['users:read'], expiresInDays: 30, ...proofOf(server, a.root) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { client, clientSecret } = created.body;
    assert.equal(client.companyId, a.companyId);
    assert.equal(client.createdBy, a.root.id);
    const token = await tokenFor(server, client.clientId, clientSecret);
    assert.equal((await callApi(server, usersOf(a.companyId), token)).status, 200);

    const listed = await a.root.agent.get('/api/company/api-clients');
    assert.deepEqual(listed.body.clients.map((c: { clientId: string }) => c.clientId), [client.clientId]);
    assert.ok(!JSON.stringify(listed.body).includes(clientSecret), 'the secret is never listed');
    assert.deepEqual((await b.root.agent.get('/api/company/api-clients')).body.clients, []);

    const rotated = await a.root.agent.post(`/api/company/api-clients/${client.clientId}/rotate`, proofOf(server, a.root));
    assert.equal(rotated.status, 200);
    assert.equal((await callApi(server, usersOf(a.companyId), token)).status, 401);
    const fresh = await tokenFor(server, client.clientId, rotated.body.clientSecret);

    const deleted = await a.root.agent.post(`/api/company/api-clients/${client.clientId}/delete`);
    assert.equal(deleted.status, 200);
    assert.equal((await callApi(server, usersOf(a.companyId), fresh)).status, 401);
    const trail = await dbOf(server).selectFrom('audit_events').select(['action', 'actor_id', 'detail']).where('target', '=', client.id).orderBy('id').execute();
    assert.deepEqual(trail.map((e) => [e.action, e.actor_id]), [
      ['api_client.created', a.root.id],
      ['api_client.secret_rotated', a.root.id],
      ['api_client.deleted', a.root.id],
    ]);
    assert.equal(JSON.parse(trail[0]?.detail ?? '{}').actorUsername, a.root.username);
  });

  test('a client stops with the Master who holds its secret (demoted, deactivated, deleted) until a Master rotates it', async () => {
    const root = a.root.agent;
    const listed = async (clientId: string) => (await root.get('/api/company/api-clients')).body.clients.find((c: { clientId: string }) => c.clientId === clientId);
    const endings: Array<[string, (userId: string) => Promise<unknown>]> = [
      ['demoted', (id) => root.post(`/api/company/users/${id}/role`, { role: 'user' })],
      ['deactivated', (id) => root.post(`/api/company/users/${id}/deactivate`)],
      ['deleted', (id) => root.post(`/api/company/users/${id}/delete`)],
    ];
    for (const [ending, end] of endings) {
      const mia = await invitedMember(server, a, root, { username: `mia-${ending}`, role: 'master' });
      const made = await mia.agent.post('/api/company/api-clients', { name: `Mia's sync (${ending})`, scopes: ['users:read', 'users:write'], ...proofOf(server, mia) });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const { client, clientSecret } = made.body;
      const token = await tokenFor(server, client.clientId, clientSecret);
      assert.equal((await callApi(server, usersOf(a.companyId), token)).status, 200);
      assert.equal((await listed(client.clientId)).holderLeft, false);

      const answer = (await end(mia.id)) as { status: number; body: unknown };
      assert.equal(answer.status, 200, `${ending}: ${JSON.stringify(answer.body)}`);
      // The token Mia's secret got, and a new one, are refused: she keeps no Master's rights through it.
      const refused = await callApi(server, usersOf(a.companyId), token);
      assert.deepEqual([refused.status, refused.body.code], [401, 'api.invalid_token'], ending);
      assert.equal((await requestToken(server, client.clientId, clientSecret)).body.error, 'invalid_client', ending);
      assert.equal((await listed(client.clientId)).holderLeft, true, ending);

      // The Root Master rotates the secret and holds it from now on.
      const rotated = await root.post(`/api/company/api-clients/${client.clientId}/rotate`, proofOf(server, a.root));
      assert.equal(rotated.status, 200);
      assert.equal(rotated.body.client.holderLeft, false);
      assert.equal((await callApi(server, usersOf(a.companyId), await tokenFor(server, client.clientId, rotated.body.clientSecret))).status, 200, ending);
      assert.equal((await listed(client.clientId)).holderLeft, false, ending);
    }
  });

  test("a Master cannot give a platform scope, nor touch another company's client", async () => {
    const platform = await a.root.agent.post('/api/company/api-clients', { name: 'Too much', scopes: ['users:read', 'companies:write'], ...proofOf(server, a.root) });
    assert.equal(platform.status, 400);
    assert.match(platform.body.error.fields.scopes, /companies:write is for platform API clients only/);
    const theirs = await b.root.agent.post('/api/company/api-clients', { name: 'Beta sync', scopes: ['users:read'], ...proofOf(server, b.root) });
    const { clientId } = theirs.body.client;
    for (const action of ['rotate', 'delete']) {
      // With proof (a rotate asks for it): the answer is "not found" all the same.
      const proof = () => (action === 'rotate' ? proofOf(server, a.root) : undefined);
      const answer = await a.root.agent.post(`/api/company/api-clients/${clientId}/${action}`, proof());
      const unknown = await a.root.agent.post(`/api/company/api-clients/ghapi_AAAAAAAAAAAAAAAAAAAAAA/${action}`, proof());
      assert.equal(answer.status, 404, action);
      assert.deepEqual(answer.body, unknown.body);
    }
    assert.equal((await requestToken(server, clientId, theirs.body.clientSecret)).status, 200, "Beta's client still works");
  });

  test('an operator creates platform clients and clients for a company, and manages every one', async () => {
    const platform = await operator.post('/api/operator/api-clients', { name: 'Onboarding', scopes: ['companies:read', 'users:read'], ...proofOf(server, { totpSecret: operatorSecret }) });
    assert.equal(platform.status, 201, JSON.stringify(platform.body));
    assert.equal(platform.body.client.companyId, null);
    const forB = await operator.post('/api/operator/api-clients', { name: 'Beta report', scopes: ['audit:read'], companyId: b.companyId, ...proofOf(server, { totpSecret: operatorSecret }) });
    assert.equal(forB.body.client.companyId, b.companyId);
    const missing = await operator.post('/api/operator/api-clients', { name: 'Nobody', scopes: ['audit:read'], companyId: '5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f', ...proofOf(server, { totpSecret: operatorSecret }) });
    assert.equal(missing.status, 404);
    const all = (await operator.get('/api/operator/api-clients')).body.clients.map((c: { clientId: string }) => c.clientId);
    assert.ok(all.includes(platform.body.client.clientId) && all.includes(forB.body.client.clientId));
    const token = await tokenFor(server, platform.body.client.clientId, platform.body.clientSecret);
    assert.equal((await callApi(server, usersOf(b.companyId), token)).status, 200);
    assert.equal((await operator.post(`/api/operator/api-clients/${forB.body.client.clientId}/delete`)).status, 200);
    assert.equal((await a.root.agent.get('/api/operator/api-clients')).status, 403, 'a Master is no operator');
  });
});
