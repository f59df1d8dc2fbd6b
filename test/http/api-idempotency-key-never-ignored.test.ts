// An Idempotency-Key is honoured or refused, never ignored (src/http/idempotent-creates.ts,
// refuseIdempotencyKeyNotTaken, called for every route in route-guards.ts). An automation
// retrying a write whose answer was lost sends the key it sends on every write: /api/v1's
// bulk invite read no key, so the retry ran again and its report called every row it had
// invited "refused" (username taken); and a change that keeps no answer to repeat ran twice
// with no word (a second Sign Up link mailed). Like If-Match on a change that takes none
// (request.not_conditional), such a key is refused before anything is read or changed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, callApi, company, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('an Idempotency-Key is honoured, or refused, never ignored', () => {
  let server: TestServer;
  let companyId: string;
  let token: string;
  const bulk = () => `/api/v1/companies/${companyId}/users/bulk-invite`;
  const csv = 'email,username,role\nnia@alpha.test,nia,user\nole@alpha.test,ole,user\n';

  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    companyId = (await company(server, 'Alpha Support', 'alma')).companyId;
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read', 'users:write'], companyId });
    token = await tokenFor(server, client.clientId, clientSecret);
  });
  after(() => server.close());

  test('a bulk invite retried with its key answers the first report again (as the console does), not "refused" for every row', async () => {
    const first = await sendApi(server, 'POST', bulk(), token, { csv }, { 'idempotency-key': 'bulk-2026-11-29' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.invited, 2);
    const retry = await sendApi(server, 'POST', bulk(), token, { csv }, { 'idempotency-key': 'bulk-2026-11-29' });
    assert.equal(retry.headers.get('idempotent-replayed'), 'true', `the retry ran again: ${JSON.stringify(retry.body)}`);
    assert.deepEqual(retry.body, first.body);
  });

  test('a malformed key on the bulk invite is refused like on the other creates', async () => {
    const answer = await sendApi(server, 'POST', bulk(), token, { csv: 'email,username,role\npia@alpha.test,pia,user\n' }, { 'idempotency-key': 'not a key' });
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.ok(answer.body.fields?.['idempotency-key']);
  });

  test('a change that keeps no answer refuses a key, before it is made: /api/v1 and the web app alike', async () => {
    const made = await sendApi(server, 'POST', `/api/v1/companies/${companyId}/users`, token, { email: 'quin@alpha.test', username: 'quin', role: 'user' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const userId = made.body.user.id as string;
    for (const [path, body] of [
      [`/api/v1/companies/${companyId}/users/${userId}/resend-invite`, {}],
      [`/api/v1/companies/${companyId}/users/${userId}/deactivate`, {}],
    ] as const) {
      const answer = await sendApi(server, 'POST', path, token, body, { 'idempotency-key': `retry-${path}` });
      assert.equal(answer.status, 400, `${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'request.not_idempotent', path);
    }
    const listed = await callApi(server, `/api/v1/companies/${companyId}/users?limit=100`, token);
    assert.equal(listed.body.users.find((u: { id: string }) => u.id === userId).status, 'invited', 'not deactivated');
    // The web app's own changes: the same rule (its creates take keys; its other changes do not).
    const operator = await signedInOperator(server);
    const console = await operator.agent.post('/api/me/sessions/revoke-all', {}, { 'idempotency-key': 'once' });
    assert.equal(console.status, 400, JSON.stringify(console.body));
    assert.equal(console.body.error.code, 'request.not_idempotent');
  });

  test('the document names the refusal on every change that takes no key, and no create', async () => {
    const spec = (await (await fetch(new URL('/api/openapi.json', server.baseUrl))).json()) as { paths: Record<string, Record<string, any>>; components: { responses: Record<string, any> } };
    let checked = 0;
    for (const [path, operations] of Object.entries(spec.paths)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        if (method === 'get') continue;
        const takesKey = (operation.parameters ?? []).some((p: { in: string; name: string }) => p.in === 'header' && p.name === 'idempotency-key');
        const bad = operation.responses['400'];
        const answer = bad.$ref ? spec.components.responses[bad.$ref.split('/').pop()] : bad;
        assert.equal(JSON.stringify(answer).includes('request.not_idempotent'), !takesKey, `${method} ${path}`);
        checked += 1;
      }
    }
    assert.ok(checked > 20, `${checked} changes checked`);
  });
});
