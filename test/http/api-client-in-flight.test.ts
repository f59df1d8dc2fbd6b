// A request an API client started does not outlive the client. The guard checks the
// client as the headers come in, before the body is read; a request whose headers were
// sent before the client was deleted, or its secret rotated, and whose body came after,
// once carried the change out (a Master invited, a group created). Now every transaction a
// write route opens is the client's change and checks it again (asClient in
// src/api-clients/usage.ts, through checkClientsInTransactions in src/http/api-client-guard.ts): 401
// api.invalid_token, as a new request gets, and nothing written. Forced without sleeping:
// the headers are sent, the test waits until the guard has counted the request, changes
// the client, then sends the body.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deleteApiClient, rotateApiClientSecret } from '../../src/api-clients/index.ts';
import { apiClient, company, sendApi, stageApi, tokenFor, type StagedRequest } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

const BY_CLI = { actorId: 'cli', meta: { ip: null, userAgent: null } };
const SESSION_HANDLE = '0123456789abcdef';

type Answer = Awaited<ReturnType<StagedRequest['send']>>;

for (const engine of await enginesUnderTest()) describe(`an API client's request in flight ends with the client (${engine})`, () => {
  let server: TestServer;
  let acme: { companyId: string };
  before(async () => {
    server = await startTestServer({ engine });
    acme = await company(server, 'Acme In Flight', 'amy');
  });
  after(() => server.close());

  const db = () => server.gatehouse.deps.db;
  const v1 = (path: string) => `/api/v1/companies/${acme.companyId}${path}`;

  /** Waits until the guard has let the staged request in: it counted it (the client was never used before). */
  const guardLetIn = (clientRowId: string) =>
    until(
      async () => (await db().selectFrom('api_clients').select('last_used_at').where('id', '=', clientRowId).executeTakeFirstOrThrow()).last_used_at !== null,
      'the guard to let the staged request in',
    );
  /** What the client did, as the trail records it. */
  const actedBy = async (clientRowId: string) => (await db().selectFrom('audit_events').select('action').where('actor_client_id', '=', clientRowId).execute()).map((e) => e.action);
  const refusedAsInvalidToken = (answer: Answer, what: string) => {
    assert.equal(answer.status, 401, `${what}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.code, 'api.invalid_token', what);
    assert.match(String(answer.headers['www-authenticate']), /^Bearer realm="Gatehouse API", error="invalid_token"/, what);
  };

  test("a company client's invitation, its headers in before the client was deleted, is refused and invites no one", async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read', 'users:write'], companyId: acme.companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    const staged = stageApi(server, 'POST', v1('/users'), token, { email: 'mallory@evil.test', username: 'mallory', role: 'master' });
    await guardLetIn(client.id);
    await deleteApiClient(server.gatehouse.deps, { companyId: acme.companyId }, client.clientId, BY_CLI);
    refusedAsInvalidToken(await staged.send(), 'the invitation sent after the deletion');
    const mallory = await db().selectFrom('users').select('id').where('company_id', '=', acme.companyId).where('username', '=', 'mallory').executeTakeFirst();
    assert.equal(mallory, undefined, 'a deleted client made a Master');
    assert.equal((await db().selectFrom('outbox').select('id').where('recipient', '=', 'mallory@evil.test').execute()).length, 0, 'an invitation mail was queued');
    assert.deepEqual(await actedBy(client.id), []);
  });

  test("a company client's group, its headers in before the secret was rotated, is not created; the new secret's token creates it", async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read', 'users:write'], companyId: acme.companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    const staged = stageApi(server, 'POST', v1('/groups'), token, { name: 'Intruders' });
    await guardLetIn(client.id);
    const { clientSecret: fresh } = await rotateApiClientSecret(server.gatehouse.deps, { companyId: acme.companyId }, client.clientId, BY_CLI);
    refusedAsInvalidToken(await staged.send(), 'the group sent after the rotation');
    const groups = () => db().selectFrom('groups').select('id').where('company_id', '=', acme.companyId).where('name', '=', 'Intruders').execute();
    assert.equal((await groups()).length, 0, 'the rotated-away secret created a group');
    assert.deepEqual(await actedBy(client.id), []);
    // The client itself goes on with its new secret.
    const created = await sendApi(server, 'POST', v1('/groups'), await tokenFor(server, client.clientId, fresh), { name: 'Intruders' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await groups()).length, 1);
  });

  test('every /api/v1 write route refuses a request whose client was deleted or rotated after the guard let it in, and writes nothing', async () => {
    // What the routes act on, made through the API by a platform client.
    const setup = await apiClient(server, { name: 'Setup', scopes: ['users:write', 'modules:write', 'requests:write'], companyId: null });
    const setupToken = await tokenFor(server, setup.client.clientId, setup.clientSecret);
    const made = async (path: string, body: unknown) => {
      const answer = await sendApi(server, 'POST', path, setupToken, body);
      assert.equal(answer.status, 201, `${path}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    };
    const uma = (await made(v1('/users'), { email: 'uma@acme-in-flight.test', username: 'uma', role: 'user' })).user.id as string;
    const staff = (await made(v1('/groups'), { name: 'Staff' })).group.id as string;
    const moduleInput = { name: 'Ledger', launchUrl: 'https://ledger.example.test/', redirectUris: ['https://ledger.example.test/callback'], clientType: 'confidential' };
    const ledger = (await made('/api/v1/modules', moduleInput)).module.id as string;
    assert.equal((await sendApi(server, 'POST', v1(`/modules/${ledger}/grant`), setupToken, {})).status, 200);
    const requestInput = (n: number) => ({ companyName: `Harbor In Flight ${n}`, contactName: 'Rosa Pike', email: `rosa${n}@harbor.test`, phone: '+1 555 0199' });
    const pending = (await made('/api/v1/requests', requestInput(0))).id as string;

    let n = 0;
    const bodies: Record<string, () => unknown> = {
      'POST /api/v1/companies/{companyId}/users': () => ({ email: `intruder${n}@evil.test`, username: `intruder${n}`, role: 'master' }),
      'POST /api/v1/companies/{companyId}/users/bulk-invite': () => ({ csv: `email,username,role\nbulk${n}@evil.test,bulk${n},master` }),
      'POST /api/v1/companies/{companyId}/users/{userId}/deactivate': () => ({}),
      'POST /api/v1/companies/{companyId}/users/{userId}/role': () => ({ role: 'master' }),
      'POST /api/v1/companies/{companyId}/users/{userId}/reactivate': () => ({}),
      'POST /api/v1/companies/{companyId}/users/{userId}/delete': () => ({}),
      'POST /api/v1/companies/{companyId}/users/{userId}/unlock': () => ({}),
      'POST /api/v1/companies/{companyId}/users/{userId}/sessions/end-all': () => ({}),
      'POST /api/v1/companies/{companyId}/users/{userId}/sessions/{handle}/end': () => ({}),
      'POST /api/v1/companies/{companyId}/users/{userId}/resend-invite': () => ({}),
      'POST /api/v1/companies/{companyId}/users/{userId}/reset-2fa': () => ({}),
      'POST /api/v1/companies/{companyId}/policy': () => ({ lockoutThreshold: 9 }),
      'POST /api/v1/companies/{companyId}/groups': () => ({ name: `Intruders ${n}` }),
      'POST /api/v1/companies/{companyId}/groups/{groupId}/rename': () => ({ name: `Renamed ${n}` }),
      'POST /api/v1/companies/{companyId}/groups/{groupId}/delete': () => ({}),
      'POST /api/v1/companies/{companyId}/groups/{groupId}/members': () => ({ userId: uma }),
      'POST /api/v1/companies/{companyId}/groups/{groupId}/members/{userId}/remove': () => ({}),
      'POST /api/v1/companies/{companyId}/groups/{groupId}/modules': () => ({ moduleIds: [ledger] }),
      'POST /api/v1/companies/{companyId}/modules/{moduleId}': () => ({ enabled: false }),
      'POST /api/v1/companies/{companyId}/modules/{moduleId}/grant': () => ({}),
      'POST /api/v1/companies/{companyId}/modules/{moduleId}/revoke': () => ({}),
      'POST /api/v1/companies/{companyId}/suspend': () => ({}),
      'POST /api/v1/companies/{companyId}/reactivate': () => ({}),
      'POST /api/v1/companies/{companyId}/resend-welcome': () => ({}),
      'POST /api/v1/modules': () => ({ ...moduleInput, name: `Intruder module ${n}` }),
      'POST /api/v1/modules/{moduleId}': () => ({ ...moduleInput, name: `Intruder edit ${n}` }),
      'POST /api/v1/modules/{moduleId}/rotate-secret': () => ({}),
      'POST /api/v1/requests': () => requestInput(n),
      'POST /api/v1/requests/{requestId}/approve': () => ({ username: `approver${n}` }),
      'POST /api/v1/requests/{requestId}/reject': () => ({ reason: 'Refused in flight' }),
    };
    const ids: Record<string, string> = { companyId: acme.companyId, userId: uma, groupId: staff, moduleId: ledger, requestId: pending, handle: SESSION_HANDLE };

    // The table covers every write route the API serves, so a new one cannot be left out.
    const document = (await (await fetch(new URL('/api/openapi.json', server.baseUrl))).json()) as { paths: Record<string, Record<string, { description?: string }>> };
    const writes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, methods]) => Object.entries(methods).filter(([method]) => method !== 'get').map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })));
    assert.deepEqual(writes.map((w) => w.route).sort(), Object.keys(bodies).sort(), 'a write route without a case here (add one)');

    const wrote: string[] = [];
    for (const { route, operation } of writes) {
      n += 1;
      const scope = /Scope: ([a-z]+:[a-z]+)\./.exec(operation.description ?? '')?.[1];
      assert.ok(scope, `${route} names its scope`);
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? name);
      const { client, clientSecret } = await apiClient(server, { name: `In flight ${n}`, scopes: [scope], companyId: null });
      const staged = stageApi(server, method, path, await tokenFor(server, client.clientId, clientSecret), bodies[route]?.());
      await guardLetIn(client.id);
      if (n % 2 === 0) await deleteApiClient(server.gatehouse.deps, 'every-company', client.clientId, BY_CLI);
      else await rotateApiClientSecret(server.gatehouse.deps, 'every-company', client.clientId, BY_CLI);
      const answer = await staged.send();
      if (answer.status !== 401 || answer.body.code !== 'api.invalid_token') wrote.push(`${route} -> ${answer.status} ${JSON.stringify(answer.body).slice(0, 120)}`);
      const acted = await actedBy(client.id);
      if (acted.length > 0) wrote.push(`${route}: ${acted.join(', ')} on the trail`);
    }
    assert.deepEqual(wrote, []);
    const submitted = await db().selectFrom('account_requests').select('company_name').where('company_name', 'like', 'Harbor In Flight %').execute();
    assert.deepEqual(submitted.map((r) => r.company_name), ['Harbor In Flight 0'], 'an account request entered by a client gone');
  });
});
