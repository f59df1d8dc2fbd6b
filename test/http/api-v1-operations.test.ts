// The console operations through /api/v1, as an API's user sees them: a user's read, role,
// reactivation, deletion, unlock and new invitation; companies (list, read, suspend,
// reactivate, welcome again); rejecting an account request; modules, grants and switches;
// cursor pages. For each: the happy path, the refusal without the scope (403
// insufficient_scope), another company's id (404), and the trail naming the API client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryAudit } from '../../src/audit/index.ts';
import { apiClient, callApi, company, requestToken, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { storedTestModule } from '../helpers/oidc.ts';

type Answer = Awaited<ReturnType<typeof callApi>>;

for (const engine of await enginesUnderTest()) describe(`/api/v1 console operations (${engine})`, () => {
  let server: TestServer;
  let alpha: { companyId: string };
  let beta: { companyId: string };
  /** Alpha's client: users, modules read. */
  let alphaClient: { id: string; token: string };
  /** Alpha's read-only client. */
  let alphaReader: string;
  /** A platform client with every platform scope. */
  let platform: { id: string; token: string };
  /** A platform client that may only read users. */
  let platformReader: string;

  const send = (method: string, path: string, token: string, body?: unknown): Promise<Answer> => sendApi(server, method, path, token, body);
  const post = (path: string, token: string, body?: unknown) => send('POST', path, token, body);
  const get = (path: string, token: string) => callApi(server, path, token);
  const refusedForScope = (answer: Answer) => {
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'api.insufficient_scope');
  };
  const notFound = (answer: Answer) => {
    assert.equal(answer.status, 404, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'request.not_found');
  };
  async function clientWith(scopes: string[], companyId: string | null, name = 'PSA sync') {
    const { client, clientSecret } = await apiClient(server, { name, scopes, companyId });
    return { id: client.id, token: await tokenFor(server, client.clientId, clientSecret) };
  }
  async function actedBy(clientId: string, action: string, companyId?: string) {
    const events = await queryAudit(server.gatehouse.deps.db, { actorClientId: clientId, action, companyId, limit: 10 });
    assert.ok(events.length > 0, `no ${action} by the API client in the trail`);
    assert.equal(events[0]?.actor, null);
    assert.equal(events[0]?.apiClient?.id, clientId);
    return events[0];
  }
  const users = (companyId: string) => `/api/v1/companies/${companyId}/users`;

  before(async () => {
    server = await startTestServer({ engine });
    alpha = await company(server, 'Alpha Support', 'alma');
    beta = await company(server, 'Beta Systems', 'bert');
    alphaClient = await clientWith(['users:read', 'users:write', 'modules:read'], alpha.companyId, 'Alpha sync');
    alphaReader = (await clientWith(['users:read'], alpha.companyId)).token;
    platform = await clientWith(
      ['users:read', 'companies:read', 'companies:write', 'requests:read', 'requests:write', 'modules:read', 'modules:switch', 'modules:write'],
      null,
      'MSP platform',
    );
    platformReader = (await clientWith(['users:read'], null)).token;
  });
  after(() => server.close());

  test("a company's client reads one user, changes a role, reactivates, unlocks, invites again and deletes", async () => {
    const invited = await post(users(alpha.companyId), alphaClient.token, { email: 'carla@alpha.test', username: 'carla', role: 'user' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const carla = `${users(alpha.companyId)}/${invited.body.user.id as string}`;

    const read = await get(carla, alphaReader);
    assert.equal(read.status, 200);
    assert.deepEqual([read.body.user.username, read.body.user.role, read.body.user.status], ['carla', 'user', 'invited']);

    assert.equal((await post(`${carla}/role`, alphaClient.token, { role: 'master' })).status, 200);
    assert.equal((await get(carla, alphaReader)).body.user.role, 'master');
    const changed = await actedBy(alphaClient.id, 'user.role_changed', alpha.companyId);
    assert.deepEqual(changed?.detail, { ...changed?.detail, from: 'user', to: 'master' });

    assert.equal((await post(`${carla}/deactivate`, alphaClient.token)).status, 200);
    assert.equal((await get(carla, alphaReader)).body.user.status, 'disabled');
    assert.equal((await post(`${carla}/reactivate`, alphaClient.token)).status, 200);
    assert.notEqual((await get(carla, alphaReader)).body.user.status, 'disabled');
    await actedBy(alphaClient.id, 'user.reactivated', alpha.companyId);

    assert.equal((await post(`${carla}/unlock`, alphaClient.token)).status, 200);
    await actedBy(alphaClient.id, 'user.unlocked', alpha.companyId);

    const resent = await post(`${carla}/resend-invite`, alphaClient.token);
    assert.equal(resent.status, 200, JSON.stringify(resent.body));
    assert.ok(Date.parse(resent.body.inviteExpiresAt) > server.gatehouse.deps.clock());

    assert.equal((await post(`${carla}/delete`, alphaClient.token)).status, 200);
    notFound(await get(carla, alphaReader));
    await actedBy(alphaClient.id, 'user.deleted', alpha.companyId);
  });

  test('the Root Master stays out of reach, a read-only client is refused, another company is not found', async () => {
    const list = await get(users(alpha.companyId), alphaReader);
    const alma = list.body.users.find((u: { username: string }) => u.username === 'alma');
    const root = `${users(alpha.companyId)}/${alma.id as string}`;
    const protectedAnswer = await post(`${root}/role`, alphaClient.token, { role: 'user' });
    assert.equal(protectedAnswer.body.code, 'user.root_master_protected');
    assert.equal((await get(root, alphaReader)).body.user.role, 'root_master');

    for (const action of ['role', 'reactivate', 'delete', 'unlock', 'resend-invite']) {
      refusedForScope(await post(`${root}/${action}`, alphaReader, action === 'role' ? { role: 'master' } : undefined));
    }

    const bert = (await get(users(beta.companyId), platform.token)).body.users[0].id as string;
    notFound(await get(`${users(beta.companyId)}/${bert}`, alphaReader));
    // Beta's user under Alpha's own company id: not found either.
    notFound(await get(`${users(alpha.companyId)}/${bert}`, alphaReader));
    for (const action of ['reactivate', 'delete', 'unlock', 'resend-invite']) notFound(await post(`${users(beta.companyId)}/${bert}/${action}`, alphaClient.token));
    notFound(await post(`${users(beta.companyId)}/${bert}/role`, alphaClient.token, { role: 'master' }));
    // A 2FA reset needs its own scope (mfa:reset), which users:write does not include.
    refusedForScope(await post(`${root}/reset-2fa`, alphaClient.token));
  });

  test("a company's users come page by page, by username", async () => {
    for (const name of ['dora', 'emil', 'fay']) {
      assert.equal((await post(users(alpha.companyId), alphaClient.token, { email: `${name}@alpha.test`, username: name, role: 'user' })).status, 201);
    }
    const all = (await get(users(alpha.companyId), alphaReader)).body;
    assert.equal(all.nextCursor, null);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await get(`${users(alpha.companyId)}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, alphaReader);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.users.length <= 2);
      seen.push(...page.body.users.map((u: { username: string }) => u.username));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, all.users.map((u: { username: string }) => u.username));
    assert.ok(seen.length >= 4);
    const bad = await get(`${users(alpha.companyId)}?cursor=bm90LWEtY3Vyc29y`, alphaReader);
    assert.equal(bad.status, 400);
    assert.ok(bad.body.fields?.cursor);
    assert.equal((await get(`${users(alpha.companyId)}?limit=0`, alphaReader)).status, 400);
  });

  test('a platform client lists, suspends, reactivates and welcomes companies; a company client reads only its own', async () => {
    const listed = await get('/api/v1/companies', platform.token);
    assert.equal(listed.status, 200);
    const names = listed.body.companies.map((c: { name: string }) => c.name);
    assert.ok(names.includes('Alpha Support') && names.includes('Beta Systems'));
    assert.equal(listed.body.companies.find((c: { name: string }) => c.name === 'Beta Systems').rootMaster.username, 'bert');

    const own = await get(`/api/v1/companies/${alpha.companyId}`, alphaReader);
    assert.equal(own.status, 200);
    assert.deepEqual([own.body.company.name, own.body.company.status], ['Alpha Support', 'active']);
    notFound(await get(`/api/v1/companies/${beta.companyId}`, alphaReader));
    refusedForScope(await get('/api/v1/companies', alphaReader));
    refusedForScope(await get(`/api/v1/companies/${beta.companyId}`, platformReader));

    const betaPath = `/api/v1/companies/${beta.companyId}`;
    for (const action of ['suspend', 'reactivate', 'resend-welcome']) {
      refusedForScope(await post(`/api/v1/companies/${alpha.companyId}/${action}`, alphaClient.token));
      refusedForScope(await post(`${betaPath}/${action}`, platformReader));
    }
    assert.equal((await post(`${betaPath}/suspend`, platform.token)).status, 200);
    assert.equal((await get(betaPath, platform.token)).body.company.status, 'suspended');
    await actedBy(platform.id, 'company.suspended', beta.companyId);
    assert.equal((await post(`${betaPath}/reactivate`, platform.token)).status, 200);
    assert.equal((await get(betaPath, platform.token)).body.company.status, 'active');
    await actedBy(platform.id, 'company.reactivated', beta.companyId);

    assert.equal((await post(`${betaPath}/resend-welcome`, platform.token)).status, 200);
    await actedBy(platform.id, 'company.welcome_resent', beta.companyId);
    notFound(await post('/api/v1/companies/5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f/suspend', platform.token));
  });

  test('a platform client rejects an account request with a reason, and reads requests page by page', async () => {
    const ids: string[] = [];
    for (const name of ['Gamma', 'Delta', 'Epsilon']) {
      const created = await post('/api/v1/requests', platform.token, {
        companyName: `${name} IT`,
        contactName: 'Pat Lead',
        email: `pat@${name.toLowerCase()}.test`,
        phone: '+1 555 0100',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      ids.push(created.body.id);
      server.clock.advance(1000);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await get(`/api/v1/requests?limit=2${cursor ? `&cursor=${cursor}` : ''}`, platform.token);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...page.body.requests.map((r: { id: string }) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ids, 'pending requests, oldest first, each once');

    const reject = (token: string) => post(`/api/v1/requests/${ids[0]}/reject`, token, { reason: 'Duplicate of an existing customer' });
    refusedForScope(await reject(alphaClient.token));
    refusedForScope(await reject(platformReader));
    assert.equal((await reject(platform.token)).status, 200);
    assert.equal((await reject(platform.token)).body.code, 'request.not_pending');
    const rejected = await actedBy(platform.id, 'company.rejected');
    assert.equal(rejected?.detail?.reason, 'Duplicate of an existing customer');
    const history = await get('/api/v1/requests?status=rejected', platform.token);
    assert.deepEqual(history.body.requests.map((r: { id: string }) => r.id), [ids[0]]);
    assert.equal((await post(`/api/v1/requests/${ids[1]}/reject`, platform.token, { reason: '' })).status, 400);
  });

  test('modules: a platform client grants, switches and revokes; a company client sees its own switches only', async () => {
    const { module } = await storedTestModule(server);
    const catalogue = await get('/api/v1/modules', platform.token);
    assert.equal(catalogue.status, 200);
    assert.ok(catalogue.body.modules.some((m: { id: string }) => m.id === module.id));
    refusedForScope(await get('/api/v1/modules', alphaClient.token));

    const alphaModules = `/api/v1/companies/${alpha.companyId}/modules`;
    const grant = `${alphaModules}/${module.id}/grant`;
    refusedForScope(await post(grant, alphaClient.token));
    assert.equal((await post(grant, platform.token)).status, 200);
    const switches = await get(alphaModules, alphaClient.token);
    assert.equal(switches.status, 200);
    assert.deepEqual(switches.body.modules.map((m: { name: string; enabled: boolean }) => [m.name, m.enabled]), [['Ticketing', true]]);
    notFound(await get(`/api/v1/companies/${beta.companyId}/modules`, alphaClient.token));
    refusedForScope(await get(alphaModules, alphaReader));

    // Switching needs modules:switch, which this company client was not given (a platform client was).
    refusedForScope(await post(`${alphaModules}/${module.id}`, alphaClient.token, { enabled: false }));
    assert.equal((await post(`${alphaModules}/${module.id}`, platform.token, { enabled: false })).status, 200);
    assert.equal((await get(alphaModules, alphaClient.token)).body.modules[0].enabled, false);
    notFound(await post(`/api/v1/companies/${beta.companyId}/modules/${module.id}`, platform.token, { enabled: true }));

    assert.equal((await post(`${alphaModules}/${module.id}/revoke`, platform.token)).status, 200);
    assert.deepEqual((await get(alphaModules, alphaClient.token)).body.modules, []);
    // Grants and revocations are on the company's trail, with the platform client.
    for (const action of ['module.granted', 'module.revoked']) assert.equal((await actedBy(platform.id, action, alpha.companyId))?.target, module.id);
    notFound(await post(`/api/v1/companies/${alpha.companyId}/modules/00000000-0000-4000-8000-000000000000/grant`, platform.token));
  });

  test('a platform client registers a module (secret once, idempotent) and rotates its secret; both are audited', async () => {
    const input = {
      name: 'Billing',
      description: 'Invoices',
      launchUrl: 'https://billing.example.test/',
      redirectUris: ['https://billing.example.test/callback'],
      postLogoutRedirectUris: [],
      clientType: 'confidential',
    };
    const register = (token: string, key: string) =>
      fetch(new URL('/api/v1/modules', server.baseUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(input),
      }).then(async (r) => ({ status: r.status, replayed: r.headers.get('idempotent-replayed'), body: (await r.json()) as any }));
    refusedForScope(await post('/api/v1/modules', alphaClient.token, input));
    const first = await register(platform.token, 'billing-1');
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.match(first.body.clientSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(first.body.module.name, 'Billing');
    const again = await register(platform.token, 'billing-1');
    assert.deepEqual([again.status, again.replayed, again.body.module.id], [201, 'true', first.body.module.id], 'a retried create registers nothing new');
    assert.equal(again.body.clientSecret, null, 'a replay never shows the secret again');
    const kept = await server.gatehouse.deps.db.selectFrom('idempotency_keys').select('response_body').execute();
    assert.ok(!kept.some((row) => row.response_body?.includes(first.body.clientSecret)), 'the secret is not stored for replays');
    const listed = (await get('/api/v1/modules', platform.token)).body.modules.filter((m: { name: string }) => m.name === 'Billing');
    assert.equal(listed.length, 1);

    // The secret is the module's: it gets tokens at once, until it is rotated.
    const moduleClientId = first.body.module.clientId as string;
    assert.equal((await requestToken(server, moduleClientId, first.body.clientSecret)).status, 200);
    const rotatePath = `/api/v1/modules/${first.body.module.id as string}/rotate-secret`;
    refusedForScope(await post(rotatePath, platformReader));
    const rotated = await post(rotatePath, platform.token);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.notEqual(rotated.body.clientSecret, first.body.clientSecret);
    assert.equal((await requestToken(server, moduleClientId, first.body.clientSecret)).status, 401);
    assert.equal((await requestToken(server, moduleClientId, rotated.body.clientSecret)).status, 200);
    notFound(await post('/api/v1/modules/00000000-0000-4000-8000-000000000000/rotate-secret', platform.token));

    const registered = await actedBy(platform.id, 'module.registered');
    assert.equal(registered?.target, first.body.module.id);
    const rotatedEvent = await actedBy(platform.id, 'module.secret_rotated');
    assert.ok(!JSON.stringify(rotatedEvent).includes(rotated.body.clientSecret), 'the trail never holds a secret');
  });

  test('every new route is in the served OpenAPI document with its scope', async () => {
    const document = (await (await fetch(new URL('/api/openapi.json', server.baseUrl))).json()) as { paths: Record<string, Record<string, { description: string }> | undefined> };
    const expected: Array<[string, string, string]> = [
      ['/api/v1/companies/{companyId}/users/{userId}', 'get', 'users:read'],
      ['/api/v1/companies/{companyId}/users/{userId}/role', 'post', 'users:write'],
      ['/api/v1/companies/{companyId}/users/{userId}/resend-invite', 'post', 'users:write'],
      ['/api/v1/companies', 'get', 'companies:read'],
      ['/api/v1/companies/{companyId}/suspend', 'post', 'companies:write'],
      ['/api/v1/requests/{requestId}/reject', 'post', 'requests:write'],
      ['/api/v1/modules', 'get', 'modules:read'],
      ['/api/v1/companies/{companyId}/modules/{moduleId}/grant', 'post', 'modules:write'],
      ['/api/v1/companies/{companyId}/modules/{moduleId}', 'post', 'modules:switch'],
      ['/api/v1/modules', 'post', 'modules:write'],
      ['/api/v1/modules/{moduleId}/rotate-secret', 'post', 'modules:write'],
      ['/api/v1/companies/{companyId}/users/{userId}/reset-2fa', 'post', 'mfa:reset'],
      ['/api/v1/companies/{companyId}/approvals', 'get', 'users:read'],
      ['/api/v1/companies/{companyId}/users/{userId}/sessions', 'get', 'users:read'],
      ['/api/v1/companies/{companyId}/users/{userId}/sessions/{handle}/end', 'post', 'users:write'],
      ['/api/v1/companies/{companyId}/users/{userId}/sessions/end-all', 'post', 'users:write'],
    ];
    for (const [path, method, scope] of expected) {
      const operation = document.paths[path]?.[method];
      assert.ok(operation, `${method} ${path} is missing`);
      assert.match(operation.description, new RegExp(`Scope: ${scope}\\.`));
    }
  });
});
