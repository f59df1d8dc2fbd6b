// /api/v1 names the fields and parameters a request sends that its route does not take
// (src/http/unknown-fields.ts, checked in the contract's one validator): zod dropped them
// quietly, so an automation's misspelling was a silent no-op (`minPasswordLength` answered
// 200 and changed nothing; `?staus=approved` listed the pending requests). The web app's
// own routes keep ignoring fields they do not take (docs/API.md, Conventions).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, callApi, company, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('/api/v1 refuses what a request names that its route does not take', () => {
  let server: TestServer;
  let companyId: string;
  let token: string;
  let platformToken: string;
  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    companyId = (await company(server, 'Alpha Support', 'alma')).companyId;
    const tenant = await apiClient(server, { scopes: ['policy:read', 'policy:write', 'users:read', 'users:write'], companyId });
    token = await tokenFor(server, tenant.client.clientId, tenant.clientSecret);
    const platform = await apiClient(server, { scopes: ['requests:read'], companyId: null });
    platformToken = await tokenFor(server, platform.client.clientId, platform.clientSecret);
  });
  after(() => server.close());

  test('a misspelled body field is refused by name, and nothing is saved', async () => {
    const policy = `/api/v1/companies/${companyId}/policy`;
    const before = (await callApi(server, policy, token)).body;
    const refused = await sendApi(server, 'POST', policy, token, { minPasswordLength: 20 });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'request.invalid');
    assert.deepEqual(Object.keys(refused.body.fields), ['minPasswordLength']);
    assert.deepEqual((await callApi(server, policy, token)).body, before, 'nothing saved');
    // With a right field beside it: still refused whole (the right one is not saved alone).
    const mixed = await sendApi(server, 'POST', policy, token, { passwordMinLength: 14, lockoutTreshold: 9 });
    assert.equal(mixed.status, 400);
    assert.ok(mixed.body.fields.lockoutTreshold);
    assert.deepEqual((await callApi(server, policy, token)).body, before, 'nothing saved');
    const saved = await sendApi(server, 'POST', policy, token, { passwordMinLength: 14 });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
  });

  test('a misspelled query parameter is refused by name, not read as the default list', async () => {
    const refused = await callApi(server, '/api/v1/requests?staus=approved', platformToken);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.ok(refused.body.fields.staus);
    assert.equal((await callApi(server, '/api/v1/requests?status=approved', platformToken)).status, 200);
    const users = await callApi(server, `/api/v1/companies/${companyId}/users?limit=5&cursr=x`, token);
    assert.equal(users.status, 400);
    assert.ok(users.body.fields.cursr);
  });

  test('missing and unknown fields are named together, each under its own name', async () => {
    const refused = await sendApi(server, 'POST', `/api/v1/companies/${companyId}/users`, token, { email: 'nia@alpha.test', role: 'user', userName: 'nia' });
    assert.equal(refused.status, 400);
    assert.ok(refused.body.fields.username, 'the missing field');
    assert.ok(refused.body.fields.userName, 'the unknown one');
  });
});
