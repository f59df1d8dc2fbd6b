// API clients against a real server: tokens from /oidc/token by client credentials, the
// guard on /api/v1 (scopes, liveness at every request, rate limits, RFC 6750 answers),
// tenant isolation, and the trail that names the API client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deleteApiClient, listApiClients, rotateApiClientSecret } from '../../src/api-clients/index.ts';
import { auditCsv, queryAudit, recordAudit } from '../../src/audit/index.ts';
import { getPlatformCompany } from '../../src/companies/index.ts';
import { apiClient, callApi, company, requestToken, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { storedTestModule } from '../helpers/oidc.ts';

const RATE_LIMIT = 8;
const DAY = 86_400_000;
const RANDOM_ID = '5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f';
const BY_CLI = { actorId: 'cli', meta: { ip: null, userAgent: null } };

for (const engine of await enginesUnderTest()) describe(`API clients (${engine})`, () => {
  let server: TestServer;
  let alpha: { companyId: string };
  let beta: { companyId: string };
  const usersOf = (companyId: string) => `/api/v1/companies/${companyId}/users`;
  const usernames = (body: { users: Array<{ username: string }> }) => body.users.map((u) => u.username);
  // The first operator signs up once per server; tests share them.
  let operator: ReturnType<typeof signedInOperator> | undefined;
  const theOperator = () => (operator ??= signedInOperator(server));

  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_API_RATE_LIMIT: String(RATE_LIMIT) } });
    alpha = await company(server, 'Alpha Support', 'alma');
    beta = await company(server, 'Beta Systems', 'bert');
  });
  after(() => server.close());

  test('a company client gets a token by Basic or by the body, and lists its own company only', async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    assert.match(client.clientId, /^ghapi_/);
    for (const via of ['basic', 'post'] as const) {
      const answer = await requestToken(server, client.clientId, clientSecret, { via });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.token_type, 'Bearer');
      const token = answer.body.access_token as string;
      const own = await callApi(server, usersOf(alpha.companyId), token);
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual(usernames(own.body), ['alma']);
      assert.equal(own.headers.get('cache-control'), 'no-store');
    }
    const token = await tokenFor(server, client.clientId, clientSecret);
    const me = await callApi(server, '/api/v1/client', token);
    assert.deepEqual(me.body.client, { clientId: client.clientId, name: 'PSA sync', companyId: alpha.companyId, scopes: ['users:read'] });
    // Another company's id answers exactly like one that does not exist.
    const other = await callApi(server, usersOf(beta.companyId), token);
    const missing = await callApi(server, usersOf(RANDOM_ID), token);
    const malformed = await callApi(server, usersOf('not-an-id'), token);
    for (const answer of [other, missing, malformed]) {
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.body, missing.body);
    }
    assert.ok(!JSON.stringify(other.body).includes('bert'));
  });

  test('a platform client reaches every company', async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read', 'companies:read'], companyId: null });
    const token = await tokenFor(server, client.clientId, clientSecret);
    assert.deepEqual(usernames((await callApi(server, usersOf(alpha.companyId), token)).body), ['alma']);
    assert.deepEqual(usernames((await callApi(server, usersOf(beta.companyId), token)).body), ['bert']);
    assert.equal((await callApi(server, usersOf(RANDOM_ID), token)).status, 404);
  });

  test('platform-only scopes are refused for a company client, with a clear message', async () => {
    await assert.rejects(
      apiClient(server, { scopes: ['users:read', 'companies:write', 'requests:read'], companyId: alpha.companyId }),
      (error: Error & { fields?: Record<string, string> }) => /companies:write, requests:read are for platform API clients only/.test(error.fields?.scopes ?? ''),
    );
    await assert.rejects(apiClient(server, { scopes: ['users:read', 'users:everything'], companyId: null }), /fields need/);
  });

  test('without a token, or with a bad one, 401 and a Bearer challenge', async () => {
    const none = await callApi(server, usersOf(alpha.companyId), undefined);
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'api.token_required');
    // RFC 9457 problem details, as everywhere under /api/v1.
    assert.match(none.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(none.body.status, 401);
    assert.equal(none.body.type, 'urn:gatehouse:error:api.token_required');
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="Gatehouse API"');
    for (const token of ['not-a-token', 'a'.repeat(43), 'x y']) {
      const bad = await callApi(server, usersOf(alpha.companyId), token);
      assert.equal(bad.status, 401);
      assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer realm="Gatehouse API", error="invalid_token"/);
    }
  });

  test('a scope the client lacks, or the token did not ask for, is 403 insufficient_scope', async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['audit:read', 'users:read'], companyId: alpha.companyId });
    const narrow = await tokenFor(server, client.clientId, clientSecret, { scope: 'audit:read' });
    const denied = await callApi(server, usersOf(alpha.companyId), narrow);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 'api.insufficient_scope');
    assert.match(denied.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="users:read"/);
    // Asking the provider for a scope the client does not have gets no token at all.
    const more = await requestToken(server, client.clientId, clientSecret, { scope: 'users:write' });
    assert.equal(more.status, 400);
    assert.equal(more.body.error, 'invalid_scope');
  });

  test('a token request naming any scope the client does not have, known or not, is 400 invalid_scope and gets no token', async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    const granted: string[] = [];
    for (const scope of ['users:admin', 'users:read users:admin', 'admin', 'users:write', 'openid', 'users:read openid']) {
      const answer = await requestToken(server, client.clientId, clientSecret, { scope });
      if (answer.status !== 400 || answer.body.error !== 'invalid_scope' || answer.body.access_token) granted.push(`${scope} -> ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    assert.deepEqual(granted, []);
    assert.deepEqual(await storedTokens(client.clientId), [], 'a refused request stored a token');
    // What it has, asked for by name or not at all, it gets.
    assert.equal((await requestToken(server, client.clientId, clientSecret, { scope: 'users:read' })).body.scope, 'users:read');
    assert.equal((await callApi(server, usersOf(alpha.companyId), await tokenFor(server, client.clientId, clientSecret))).status, 200);
  });

  test('deleting a client ends its live tokens at once, and it gets no new ones', async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    assert.equal((await callApi(server, usersOf(alpha.companyId), token)).status, 200);
    await deleteApiClient(server.gatehouse.deps, { companyId: alpha.companyId }, client.clientId, BY_CLI);
    const after = await callApi(server, usersOf(alpha.companyId), token);
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'api.invalid_token');
    assert.equal((await requestToken(server, client.clientId, clientSecret)).body.error, 'invalid_client');
  });

  test("suspending a company stops its clients: the tokens they held for good, new ones until it is reactivated; platform clients still reach it", async () => {
    const gamma = await company(server, 'Gamma Suspended', 'gus');
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read', 'users:write', 'policy:write'], companyId: gamma.companyId });
    const live = await tokenFor(server, client.clientId, clientSecret);
    const operations = await apiClient(server, { name: 'Operations', scopes: ['companies:write', 'users:read'], companyId: null });
    const platform = await tokenFor(server, operations.client.clientId, operations.clientSecret);
    const act = (method: string, path: string, token: string, body?: unknown) => sendApi(server, method, path, token, body);
    assert.equal((await act('POST', `/api/v1/companies/${gamma.companyId}/suspend`, platform)).status, 200);

    // Every way the company's own client could act, with the token it held and with a new one.
    const invite = { email: 'mallory@gamma.test', username: 'mallory', role: 'master' };
    for (const [method, path, body] of [
      ['GET', usersOf(gamma.companyId), undefined],
      ['POST', usersOf(gamma.companyId), invite],
      ['POST', `/api/v1/companies/${gamma.companyId}/policy`, { lockoutThreshold: 20 }],
      ['GET', '/api/v1/client', undefined],
    ] as const) {
      const answer = await act(method, path, live, body);
      assert.equal(answer.status, 401, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'api.invalid_token');
    }
    assert.equal((await requestToken(server, client.clientId, clientSecret)).body.error, 'invalid_client');
    const invited = await server.gatehouse.deps.db.selectFrom('users').select('id').where('company_id', '=', gamma.companyId).where('username', '=', 'mallory').executeTakeFirst();
    assert.equal(invited, undefined);
    // Operators still reach a suspended company, to read it and to reactivate it.
    assert.deepEqual(usernames((await callApi(server, usersOf(gamma.companyId), platform)).body), ['gus']);
    assert.equal((await act('POST', `/api/v1/companies/${gamma.companyId}/reactivate`, platform)).status, 200);
    // Ended, not held: a token an intruder got before the suspension does not come back.
    const held = await callApi(server, usersOf(gamma.companyId), live);
    assert.equal(held.status, 401, 'the token it held stays ended');
    assert.equal(held.body.code, 'api.invalid_token');
    const fresh = await tokenFor(server, client.clientId, clientSecret);
    assert.equal((await callApi(server, usersOf(gamma.companyId), fresh)).status, 200, 'the client gets a new token');
  });

  test('a token stored while the suspension committed (its request in flight) does not work after reactivation', async () => {
    const { db } = server.gatehouse.deps;
    const epsilon = await company(server, 'Epsilon Racing', 'eve');
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId: epsilon.companyId });
    const operations = await apiClient(server, { name: 'Operations', scopes: ['companies:write'], companyId: null });
    const platform = await tokenFor(server, operations.client.clientId, operations.clientSecret);
    const token = await tokenFor(server, client.clientId, clientSecret);
    // The row a token request writes. One that read the client just before the suspension
    // committed writes it just after the suspension's delete: the same row, back.
    const stored = await db
      .selectFrom('oidc_records')
      .select(['model', 'id', 'payload', 'grant_id', 'user_code', 'uid', 'expires_at', 'consumed_at'])
      .where('model', '=', 'ClientCredentials')
      .where('payload', 'like', `%${client.clientId}%`)
      .execute();
    assert.equal(stored.length, 1);
    assert.equal((await sendApi(server, 'POST', `/api/v1/companies/${epsilon.companyId}/suspend`, platform)).status, 200);
    await db.insertInto('oidc_records').values(stored).execute();
    assert.equal((await callApi(server, usersOf(epsilon.companyId), token)).status, 401, 'refused while suspended');
    assert.equal((await sendApi(server, 'POST', `/api/v1/companies/${epsilon.companyId}/reactivate`, platform)).status, 200);
    const afterwards = await callApi(server, usersOf(epsilon.companyId), token);
    assert.equal(afterwards.status, 401, 'the late token is ended with the others');
    assert.equal(afterwards.body.code, 'api.invalid_token');
    assert.equal((await callApi(server, usersOf(epsilon.companyId), await tokenFor(server, client.clientId, clientSecret))).status, 200);
  });

  test("suspended from the operators' console, a company's clients lose the tokens they held; other clients keep theirs", async () => {
    const operator = await theOperator();
    const delta = await company(server, 'Delta Suspended', 'dora');
    const own = await apiClient(server, { scopes: ['users:read'], companyId: delta.companyId });
    const held = await tokenFor(server, own.client.clientId, own.clientSecret);
    const neighbour = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    const neighbourToken = await tokenFor(server, neighbour.client.clientId, neighbour.clientSecret);
    const operations = await apiClient(server, { name: 'Operations', scopes: ['users:read'], companyId: null });
    const platformToken = await tokenFor(server, operations.client.clientId, operations.clientSecret);
    for (const change of ['suspend', 'reactivate']) {
      const answer = await operator.agent.post(`/api/operator/companies/${delta.companyId}/${change}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    const after = await callApi(server, usersOf(delta.companyId), held);
    assert.equal(after.status, 401, JSON.stringify(after.body));
    assert.equal(after.body.code, 'api.invalid_token');
    assert.equal((await callApi(server, usersOf(delta.companyId), await tokenFor(server, own.client.clientId, own.clientSecret))).status, 200);
    assert.equal((await callApi(server, usersOf(alpha.companyId), neighbourToken)).status, 200, "another company's client keeps its token");
    assert.equal((await callApi(server, usersOf(delta.companyId), platformToken)).status, 200, 'a platform client keeps its token');
  });

  test('the platform company (the operators) is out of every API client\'s reach, and no client can be made for it', async () => {
    const operator = await theOperator(); // the platform company comes with the first operator
    const platformCompany = await getPlatformCompany(server.gatehouse.deps.db);
    assert.ok(platformCompany);
    const { client, clientSecret } = await apiClient(server, { name: 'User sync', scopes: ['users:read', 'users:write', 'companies:read', 'policy:read', 'audit:read', 'modules:read'], companyId: null });
    const token = await tokenFor(server, client.clientId, clientSecret);
    const missing = await callApi(server, usersOf(RANDOM_ID), token);
    const platformPaths = ['/users', '', '/groups', '/policy', '/audit'].map((tail) => `/api/v1/companies/${platformCompany.id}${tail}`);
    for (const path of platformPaths) {
      const answer = await callApi(server, path, token);
      assert.equal(answer.status, 404, `${path}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(answer.body, missing.body);
    }
    // Inviting into it would make an operator.
    const invite = await sendApi(server, 'POST', usersOf(platformCompany.id), token, { email: 'eve@evil.test', username: 'eve', role: 'master' });
    assert.equal(invite.status, 404);
    const eve = await server.gatehouse.deps.db.selectFrom('users').select('id').where('company_id', '=', platformCompany.id).where('username', '=', 'eve').executeTakeFirst();
    assert.equal(eve, undefined);
    await assert.rejects(apiClient(server, { scopes: ['users:read', 'users:write'], companyId: platformCompany.id }), /Not found/);
    // Nor through the operators' console.
    const made = await operator.agent.post('/api/operator/api-clients', { name: 'Operators sync', scopes: ['users:write'], companyId: platformCompany.id, ...proofOf(server, operator) });
    assert.equal(made.status, 404, JSON.stringify(made.body));
  });

  test("another company's Master cannot reach a client to rotate or delete it", async () => {
    const { client } = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    await assert.rejects(rotateApiClientSecret(server.gatehouse.deps, { companyId: beta.companyId }, client.clientId, BY_CLI), /Not found/);
    await assert.rejects(deleteApiClient(server.gatehouse.deps, { companyId: beta.companyId }, client.clientId, BY_CLI), /Not found/);
  });

  test('rotating the secret ends the old secret and every token got with it', async () => {
    const { client, clientSecret: old } = await apiClient(server, { scopes: ['users:read'], companyId: beta.companyId });
    const oldToken = await tokenFor(server, client.clientId, old);
    const { clientSecret: fresh } = await rotateApiClientSecret(server.gatehouse.deps, 'every-company', client.clientId, BY_CLI);
    assert.notEqual(fresh, old);
    assert.equal((await callApi(server, usersOf(beta.companyId), oldToken)).status, 401);
    assert.equal((await requestToken(server, client.clientId, old)).body.error, 'invalid_client');
    const newToken = await tokenFor(server, client.clientId, fresh, { via: 'post' });
    assert.equal((await callApi(server, usersOf(beta.companyId), newToken)).status, 200);
  });

  /** The rows of the client-credentials tokens the provider holds for a client (what a token request stores). */
  const storedTokens = (clientId: string) =>
    server.gatehouse.deps.db
      .selectFrom('oidc_records')
      .select(['model', 'id', 'payload', 'grant_id', 'user_code', 'uid', 'expires_at', 'consumed_at'])
      .where('model', '=', 'ClientCredentials')
      .where('payload', 'like', `%${clientId}%`)
      .execute();
  async function introspect(client: { clientId: string }, secret: string, token: string): Promise<{ active?: boolean }> {
    const discovery = (await (await fetch(new URL('/oidc/.well-known/openid-configuration', server.baseUrl))).json()) as { introspection_endpoint: string };
    const answer = await fetch(discovery.introspection_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ token }),
    });
    assert.equal(answer.status, 200);
    return (await answer.json()) as { active?: boolean };
  }

  test("rotating or deleting a client ends its tokens in the provider's store: introspection calls them inactive, one stored late too", async () => {
    const { client, clientSecret: old } = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    const oldToken = await tokenFor(server, client.clientId, old);
    assert.equal((await introspect(client, old, oldToken)).active, true);
    const stored = await storedTokens(client.clientId);
    assert.equal(stored.length, 1);
    const { clientSecret: fresh } = await rotateApiClientSecret(server.gatehouse.deps, 'every-company', client.clientId, BY_CLI);
    assert.deepEqual(await storedTokens(client.clientId), [], 'the rotation left the old tokens in the store');
    assert.equal((await introspect(client, fresh, oldToken)).active, false, 'a token /api/v1 refuses is reported active');
    // One a token request in flight during the rotation stores just after it: the same row, back.
    await server.gatehouse.deps.db.insertInto('oidc_records').values(stored).execute();
    assert.equal((await introspect(client, fresh, oldToken)).active, false, 'a token of the old secret stored late is reported active');
    assert.equal((await callApi(server, usersOf(alpha.companyId), oldToken)).status, 401);
    const freshToken = await tokenFor(server, client.clientId, fresh);
    assert.equal((await introspect(client, fresh, freshToken)).active, true);
    await deleteApiClient(server.gatehouse.deps, 'every-company', client.clientId, BY_CLI);
    assert.deepEqual(await storedTokens(client.clientId), [], 'the deletion left tokens in the store');
  });

  test("a token of a secret rotated away spends none of the client's rate budget and does not mark it used", async () => {
    const { client, clientSecret: old } = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    const leaked = await tokenFor(server, client.clientId, old);
    assert.equal((await callApi(server, usersOf(alpha.companyId), leaked)).status, 200);
    const stored = await storedTokens(client.clientId);
    server.clock.advance(121_000); // past the minute its one request counts in, and the next (the buckets of src/api-clients/usage.ts)
    const { clientSecret: fresh } = await rotateApiClientSecret(server.gatehouse.deps, 'every-company', client.clientId, BY_CLI);
    // Stored late by a request in flight during the rotation, so the guard, not the store, refuses it.
    await server.gatehouse.deps.db.insertInto('oidc_records').values(stored).execute();
    const freshToken = await tokenFor(server, client.clientId, fresh);
    const lastUsed = async () => (await listApiClients(server.gatehouse.deps.db, 'every-company')).find((c) => c.clientId === client.clientId)?.lastUsedAt;
    const usedBefore = await lastUsed();
    server.clock.advance(1_000);
    for (let i = 0; i < RATE_LIMIT + 2; i++) assert.equal((await callApi(server, usersOf(alpha.companyId), leaked)).status, 401);
    assert.equal(await lastUsed(), usedBefore, 'the old secret\'s token marked the client used');
    const legit = await callApi(server, usersOf(alpha.companyId), freshToken);
    assert.equal(legit.status, 200, JSON.stringify(legit.body));
    assert.match(legit.headers.get('ratelimit') ?? '', new RegExp(`^"per-client";r=${RATE_LIMIT - 1};`));
  });

  test('an expired client is refused from the moment it expires, live token or not', async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId: beta.companyId, expiresInDays: 1 });
    server.clock.advance(DAY - 2 * 60_000);
    const token = await tokenFor(server, client.clientId, clientSecret);
    assert.equal((await callApi(server, usersOf(beta.companyId), token)).status, 200);
    server.clock.advance(3 * 60_000); // past the client's expiry, within the token's 10 minutes
    assert.equal((await callApi(server, usersOf(beta.companyId), token)).status, 401);
    assert.equal((await requestToken(server, client.clientId, clientSecret)).body.error, 'invalid_client');
  });

  test('each client has its own rate limit, with RateLimit headers and 429 + Retry-After past it', async () => {
    const busy = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    const quiet = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    const token = await tokenFor(server, busy.client.clientId, busy.clientSecret);
    for (let i = 1; i <= RATE_LIMIT; i++) {
      const answer = await callApi(server, usersOf(alpha.companyId), token);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('ratelimit-policy'), `"per-client";q=${RATE_LIMIT};w=60`);
      assert.match(answer.headers.get('ratelimit') ?? '', new RegExp(`^"per-client";r=${RATE_LIMIT - i};t=\\d+$`));
    }
    const limited = await callApi(server, usersOf(alpha.companyId), token);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, 'api.rate_limited');
    assert.match(limited.headers.get('ratelimit') ?? '', /^"per-client";r=0;t=\d+$/);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // Another client of the same company is not slowed down.
    const other = await tokenFor(server, quiet.client.clientId, quiet.clientSecret);
    assert.equal((await callApi(server, usersOf(alpha.companyId), other)).status, 200);
    // Retry-After is honest: waited as long, the client is served again (its requests of the
    // last minute, counted in two buckets, fall under the limit only then: up to two minutes).
    server.clock.advance(Number(limited.headers.get('retry-after')) * 1000);
    assert.equal((await callApi(server, usersOf(alpha.companyId), token)).status, 200);
  });

  test('a module can never obtain an API scope, and its own tokens open nothing under /api/v1', async () => {
    const { module, clientSecret } = await storedTestModule(server);
    for (const scope of ['users:read', 'companies:write', 'openid users:read']) {
      const answer = await requestToken(server, module.client_id, clientSecret as string, { scope });
      assert.equal(answer.status, 400, scope);
      assert.equal(answer.body.error, 'invalid_scope');
    }
    const plain = await tokenFor(server, module.client_id, clientSecret as string);
    assert.equal((await callApi(server, usersOf(alpha.companyId), plain)).status, 401);
    assert.equal((await callApi(server, '/api/v1/client', plain)).status, 401);
  });

  test("a browser session is no credential for /api/v1, and a cookie beside a token changes nothing", async () => {
    const operator = await theOperator();
    const cookie = operator.agent.cookieHeader();
    const crossSite = { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    const sessionOnly = await callApi(server, usersOf(alpha.companyId), undefined, crossSite);
    assert.equal(sessionOnly.status, 401);
    const sameSite = await callApi(server, usersOf(alpha.companyId), undefined, { cookie, origin: server.baseUrl });
    assert.equal(sameSite.status, 401);
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    const both = await callApi(server, usersOf(beta.companyId), token, crossSite);
    assert.equal(both.status, 404, 'the token decides: an operator cookie does not widen a company client');
  });

  test('creating, rotating and deleting are audited, and the trail names an API client that acts', async () => {
    const { deps } = server.gatehouse;
    const { client } = await apiClient(server, { name: 'Nightly report', scopes: ['audit:read'], companyId: beta.companyId });
    await rotateApiClientSecret(deps, { companyId: beta.companyId }, client.clientId, BY_CLI);
    await recordAudit(deps.db, deps.clock(), { companyId: beta.companyId, actorId: null, actorClientId: client.id, action: 'user.invited', target: RANDOM_ID });
    await deleteApiClient(deps, { companyId: beta.companyId }, client.clientId, BY_CLI);
    const events = await queryAudit(deps.db, { companyId: beta.companyId, target: client.id, limit: 10 });
    assert.deepEqual(events.map((e) => e.action), ['api_client.deleted', 'api_client.secret_rotated', 'api_client.created']);
    assert.equal(events[0]?.detail?.clientId, client.clientId);
    const [acted] = await queryAudit(deps.db, { companyId: beta.companyId, actorClientId: client.id, limit: 10 });
    assert.deepEqual(acted?.apiClient, { id: client.id, clientId: client.clientId, name: 'Nightly report' });
    assert.equal(acted?.actor, null);
    let csv = '';
    for await (const chunk of await auditCsv(deps.db, { companyId: beta.companyId, action: 'user.invited' })) csv += chunk;
    assert.match(csv, new RegExp(`"${client.clientId}","Nightly report","user.invited"`));
  });
});
