// /api/v1 names the fields and parameters a request sends that its route does not take
// (src/http/unknown-fields.ts, checked in the contract's one validator): zod dropped them
// quietly, so an automation's misspelling was a silent no-op (`minPasswordLength` answered
// 200 and changed nothing; `?staus=approved` listed the pending requests). The web app's
// own routes keep ignoring fields they do not take (docs/API.md, Conventions). Also where
// an operation declares no body or no query at all: `POST .../policy?passwordMinLength=20`
// answered 200 and changed nothing, an invite sent with `?dryRun=true` invited, and a grant
// sent with `{ "enabled": false }` (the switch operation's field) granted switched on.
// And a read sent with a body: Fastify never parses one on a GET, so `{ "status":
// "disabled" }` listed everyone as if filtered.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { apiClient, callApi, company, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const MODULE = {
  name: 'Ticketing',
  launchUrl: 'https://tickets.example.com/',
  redirectUris: ['https://tickets.example.com/callback'],
  clientType: 'confidential',
};

describe('/api/v1 refuses what a request names that its route does not take', () => {
  let server: TestServer;
  let companyId: string;
  let token: string;
  let platformToken: string;
  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    companyId = (await company(server, 'Alpha Support', 'alma')).companyId;
    const tenant = await apiClient(server, { scopes: ['policy:read', 'policy:write', 'users:read', 'users:write', 'modules:read'], companyId });
    token = await tokenFor(server, tenant.client.clientId, tenant.clientSecret);
    const platform = await apiClient(server, { scopes: ['requests:read', 'modules:read', 'modules:write'], companyId: null });
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

  // Parts an operation declares no schema for: Fastify validates only declared parts, so
  // these are refused before validation (refuseUndeclaredParts, src/http/api-contract.ts).
  test('a policy field sent in the query is refused by name, not answered 200 with nothing saved', async () => {
    const policy = `/api/v1/companies/${companyId}/policy`;
    const before = (await callApi(server, policy, token)).body;
    const answer = await sendApi(server, 'POST', `${policy}?passwordMinLength=20`, token, {});
    assert.equal(answer.status, 400, `answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
    assert.equal(answer.body.code, 'request.invalid');
    assert.ok(answer.body.fields?.passwordMinLength, JSON.stringify(answer.body));
    assert.deepEqual((await callApi(server, policy, token)).body.policy, before.policy);
  });

  test('an invite sent with a query parameter it does not take is refused, and nobody is invited', async () => {
    const answer = await sendApi(server, 'POST', `/api/v1/companies/${companyId}/users?dryRun=true`, token, { email: 'nia@alpha.test', username: 'nia', role: 'user' });
    assert.equal(answer.status, 400, `answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
    assert.ok(answer.body.fields?.dryRun, JSON.stringify(answer.body));
    const listed = await callApi(server, `/api/v1/companies/${companyId}/users?limit=100`, token);
    assert.equal(listed.body.users.some((u: { username: string }) => u.username === 'nia'), false, 'nobody invited');
  });

  test('a body field on an operation that takes no body is refused by name, and nothing is done', async () => {
    const made = await sendApi(server, 'POST', '/api/v1/modules', platformToken, MODULE);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const moduleId = made.body.module.id as string;
    // `enabled` is the switch's field (POST .../modules/:moduleId); the grant takes none.
    const grant = await sendApi(server, 'POST', `/api/v1/companies/${companyId}/modules/${moduleId}/grant`, platformToken, { enabled: false });
    assert.equal(grant.status, 400, `answered ${grant.status}: ${JSON.stringify(grant.body).slice(0, 200)}`);
    assert.ok(grant.body.fields?.enabled, JSON.stringify(grant.body));
    const granted = await callApi(server, `/api/v1/companies/${companyId}/modules`, token);
    assert.deepEqual(granted.body.modules, [], 'not granted (and above all not granted switched on)');
  });

  test('a deactivation sent with a reason it does not take is refused, and the user stays', async () => {
    const made = await sendApi(server, 'POST', `/api/v1/companies/${companyId}/users`, token, { email: 'ole@alpha.test', username: 'ole', role: 'user' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const userId = made.body.user.id as string;
    const answer = await sendApi(server, 'POST', `/api/v1/companies/${companyId}/users/${userId}/deactivate`, token, { reason: 'left the company', notifyUser: false });
    assert.equal(answer.status, 400, `answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
    assert.ok(answer.body.fields?.notifyUser, JSON.stringify(answer.body));
    const listed = await sendApi(server, 'POST', `/api/v1/companies/${companyId}/users/${userId}/deactivate`, token, ['left the company']);
    assert.deepEqual([listed.status, Object.keys(listed.body.fields ?? {})], [400, ['body']], 'a body that is no object is named as one');
    const user = await callApi(server, `/api/v1/companies/${companyId}/users/${userId}`, token);
    assert.equal(user.body.user.status, 'invited', 'not deactivated');
  });

  test('a read with a parameter it does not take is refused, as the lists are', async () => {
    const answer = await callApi(server, `/api/v1/companies/${companyId}/groups?limit=1`, token);
    assert.equal(answer.status, 400, `answered ${answer.status}`);
    assert.ok(answer.body.fields?.limit, JSON.stringify(answer.body));
  });

  /** A GET with a body, as curl -X GET -d or a client library may send one (fetch refuses to). */
  const getWithBody = (path: string, body: string, framing: 'length' | 'chunked') =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      if (framing === 'length') headers['content-length'] = String(Buffer.byteLength(body));
      else headers['transfer-encoding'] = 'chunked';
      const request = http.request(new URL(path, server.baseUrl), { method: 'GET', headers }, (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      });
      request.on('error', reject);
      request.end(body);
    });

  test('a read sent with a body is refused, not answered as if the body had filtered it', async () => {
    const path = `/api/v1/companies/${companyId}/users`;
    for (const framing of ['length', 'chunked'] as const) {
      const answer = await getWithBody(path, JSON.stringify({ status: 'disabled' }), framing);
      assert.equal(answer.status, 400, `${framing}: answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
      assert.deepEqual(Object.keys(answer.body.fields ?? {}), ['body'], JSON.stringify(answer.body));
    }
    // A read that declares a query still refuses the body (a filter sent the wrong way).
    const policy = await getWithBody(`/api/v1/companies/${companyId}/policy`, '{}', 'length');
    assert.equal(policy.status, 400, `answered ${policy.status}`);
    // The same read without a body is answered.
    assert.equal((await callApi(server, path, token)).status, 200);
  });
});
