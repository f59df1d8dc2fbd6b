// The web app's creates take an Idempotency-Key, as /api/v1's do, kept per signed-in user
// (the public account request's per form: no one is signed in):
// a console page whose answer was lost sends the same invitation (or group, or an operator's
// account request, API client or module) again with its key and is answered the first
// result, not 409 "already used" for what it made, nor a second of it. A create whose first
// answer held a secret (an API client's, a module's) is answered again without it: the
// secret is never kept, not even in the ledger of answers. The same
// key with another body is refused; another user's key is theirs alone (their own request,
// never a replay of someone else's answer). On both engines. The browser side:
// test/e2e/create-answer-lost.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountRequestCap } from '../../src/companies/index.ts';
import { hashToken } from '../../src/crypto/index.ts';
import { clientNetwork } from '../../src/shared/client-network.ts';
import type { Agent } from '../helpers/agent.ts';
import { tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, invitedMember, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startOidcIdp } from '../helpers/oidc-idp.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * The two bodies sent in turn with one Idempotency-Key (the same create, its retry after a
 * lost answer): the first made it (201), the second was answered again (201, replayed).
 */
async function sentTwice(agent: Agent, path: string, key: string, [body, retry]: [unknown, unknown]) {
  const first = await agent.post(path, body, { 'idempotency-key': key });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const again = await agent.post(path, retry, { 'idempotency-key': key });
  assert.equal(again.status, 201, JSON.stringify(again.body));
  assert.equal(again.headers.get('idempotent-replayed'), 'true', 'answered again, not made again');
  return { first, again };
}

for (const engine of await enginesUnderTest()) describe(`Idempotency-Key on the console's creates (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let operatorPerson: Awaited<ReturnType<typeof signedInOperator>>;
  let operator: typeof operatorPerson.agent;

  before(async () => {
    server = await startTestServer({ engine });
    operatorPerson = await signedInOperator(server);
    operator = operatorPerson.agent;
    acme = await companyWithRootMaster(server, operator, 'Acme Keys', 'root@keys.test');
  });
  after(() => server.close());

  const zed = { email: 'zed@keys.test', username: 'zed', role: 'user' };

  test('an invitation sent again with its key is answered the first result; one user, one mail', async () => {
    const admin = acme.root.agent;
    const { first, again } = await sentTwice(admin, '/api/company/users', 'invite-zed-1', [zed, zed]);
    assert.deepEqual(again.body, first.body);
    const zeds = await server.gatehouse.deps.db.selectFrom('users').select('id').where('username', '=', 'zed').execute();
    assert.equal(zeds.length, 1);

    const other = await admin.post('/api/company/users', { ...zed, username: 'zed2' }, { 'idempotency-key': 'invite-zed-1' });
    assert.equal(other.status, 422, JSON.stringify(other.body));
    assert.equal(other.body.error.code, 'api.idempotency_key_reused');
    const without = await admin.post('/api/company/users', zed);
    assert.equal(without.status, 409, 'without a key a create simply runs');
    assert.equal(without.body.error.code, 'user.username_taken');
  });

  test("another user's same key is their own request, never a replay of the first user's answer", async () => {
    const mia = await invitedMember(server, acme, acme.root.agent, { username: 'mia', role: 'master' });
    const theirs = await mia.agent.post('/api/company/users', { ...zed, email: 'zed.again@keys.test' }, { 'idempotency-key': 'invite-zed-1' });
    assert.equal(theirs.status, 409, JSON.stringify(theirs.body));
    assert.equal(theirs.body.error.code, 'user.username_taken');
  });

  test('a group created again with its key is answered the group; a malformed key is refused', async () => {
    const admin = acme.root.agent;
    const first = await admin.post('/api/company/groups', { name: 'Service Desk' }, { 'idempotency-key': 'group-1' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const again = await admin.post('/api/company/groups', { name: 'Service Desk' }, { 'idempotency-key': 'group-1' });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body.group.id, first.body.group.id);
    const bad = await admin.post('/api/company/groups', { name: 'Other' }, { 'idempotency-key': 'no spaces allowed' });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
  });

  test("an operator's account request entered again with its key is answered the first request, not 'name taken'", async () => {
    const request = { companyName: 'Keyed Request Co', contactName: 'Kay Keyed', email: 'kay@keyed.test', phone: '+1 555 0123' };
    const { first, again } = await sentTwice(operator, '/api/operator/requests', 'request-1', [request, request]);
    assert.deepEqual(again.body, first.body);
    const rows = await server.gatehouse.deps.db.selectFrom('account_requests').select('id').where('company_name', '=', request.companyName).execute();
    assert.equal(rows.length, 1);
  });

  /** Every answer a user's keys have kept, as stored: what a reader of the database would see. */
  const keptAnswers = async () =>
    (await server.gatehouse.deps.db.selectFrom('user_idempotency_keys').select('response_body').execute()).map((row) => row.response_body ?? '').join('\n');

  const clientNamed = async (name: string) =>
    server.gatehouse.deps.db.selectFrom('api_clients').select('client_id').where('name', '=', name).execute();

  for (const [who, path, forCompany] of [
    ['a Master', '/api/company/api-clients', () => ({})],
    ['an operator', '/api/operator/api-clients', () => ({ companyId: acme.companyId })],
  ] as const) {
    test(`${who}'s API client created again with its key, and a fresh code, is answered the client without its secret; one client, whose first secret works`, async () => {
      const person = who === 'a Master' ? acme.root : operatorPerson;
      const name = `PSA sync by ${who}`;
      const asked = { name, scopes: ['users:read'], ...forCompany() };
      const first = await person.agent.post(path, { ...asked, ...proofOf(server, person) }, { 'idempotency-key': `client-${path}` });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.match(first.body.clientSecret, /\S{20,}/);
      // The page's answer was lost; the user proves it again (the first code is spent) and retries.
      const again = await person.agent.post(path, { ...asked, ...proofOf(server, person) }, { 'idempotency-key': `client-${path}` });
      assert.equal(again.status, 201, JSON.stringify(again.body));
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.body, { client: first.body.client, clientSecret: null });
      assert.deepEqual((await clientNamed(name)).map((row) => row.client_id), [first.body.client.clientId], 'one client, not a second whose secret nobody has');
      assert.ok(!(await keptAnswers()).includes(first.body.clientSecret), 'the secret is not kept for the repeat');
      assert.ok(await tokenFor(server, first.body.client.clientId, first.body.clientSecret), 'the secret of the first answer is the one that works');

      // The same key for another client is refused, as on every create.
      const other = await person.agent.post(path, { ...asked, name: `${name} 2`, ...proofOf(server, person) }, { 'idempotency-key': `client-${path}` });
      assert.equal(other.status, 422, JSON.stringify(other.body));
      assert.equal(other.body.error.code, 'api.idempotency_key_reused');
    });
  }

  test('a module registered again with its key is answered the module without its secret; one module', async () => {
    const module = { name: 'Keyed Desk', launchUrl: 'https://keyed.example/launch', redirectUris: ['https://keyed.example/callback'], clientType: 'confidential' };
    const { first, again } = await sentTwice(operator, '/api/operator/modules', 'module-1', [module, module]);
    assert.equal(typeof first.body.clientSecret, 'string');
    assert.deepEqual(again.body, { module: first.body.module, clientSecret: null });
    const rows = await server.gatehouse.deps.db.selectFrom('modules').select('id').where('name', '=', module.name).execute();
    assert.equal(rows.length, 1);
    assert.ok(!(await keptAnswers()).includes(first.body.clientSecret), 'the secret is not kept for the repeat');
  });

  test('an identity provider added again with its key is answered the provider added, not added twice; another secret with the key is refused; the ledger keeps no client secret', async (t) => {
    const admin = acme.root.agent;
    // A real provider on loopback: adding one reads its discovery document.
    const idp = await startOidcIdp((await admin.get('/api/company/sso')).body.serviceProvider.oidcRedirectUri);
    t.after(() => idp.close());
    const form = { kind: 'oidc', name: 'Keyed IdP', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, usernameAttribute: 'preferred_username', trustProviderMfa: false };
    const { first, again } = await sentTwice(admin, '/api/company/sso/providers', 'provider-1', [form, form]);
    assert.deepEqual(again.body, first.body);
    const rows = await server.gatehouse.deps.db.selectFrom('sso_providers').select('id').where('name', '=', form.name).execute();
    assert.equal(rows.length, 1);
    assert.ok(!(await keptAnswers()).includes(form.clientSecret));
    // The same key with other settings is refused; without a key, the same form adds a second provider.
    const other = await admin.post('/api/company/sso/providers', { ...form, clientId: 'another' }, { 'idempotency-key': 'provider-1' });
    assert.equal(other.status, 422, JSON.stringify(other.body));
    // The secret counts too (the ledger keeps a keyed digest, never the secret or its plain hash).
    const otherSecret = await admin.post('/api/company/sso/providers', { ...form, clientSecret: 'another-secret-entirely' }, { 'idempotency-key': 'provider-1' });
    assert.equal(otherSecret.status, 422, JSON.stringify(otherSecret.body));
    assert.equal(otherSecret.body.error.code, 'api.idempotency_key_reused');
    const without = await admin.post('/api/company/sso/providers', form);
    assert.equal(without.status, 201, JSON.stringify(without.body));
    assert.notEqual(without.body.provider.id, first.body.provider.id);
  });

  test('an account request sent again with its key, by anyone, is answered the request it made, not "name taken"; one request; the cap is not spent again; another body with the key is refused', async () => {
    const visitor = server.agent();
    const capSpent = capOfLoopbackRequests();
    const before = await capSpent();
    const form = { companyName: 'Tunnel Co', contactName: 'Tess Tunnel', email: 'tess@tunnel.test', phone: '+1 555 0199', note: '' };
    const { first, again } = await sentTwice(visitor, '/api/account-requests', 'request-tunnel-1', [form, form]);
    assert.deepEqual(again.body, first.body);
    const rows = await server.gatehouse.deps.db.selectFrom('account_requests').select('id').where('company_name', '=', form.companyName).execute();
    assert.equal(rows.length, 1, 'one request, not two');
    // Another browser (or a script) with the same key and the same body hears the same
    // answer, which tells nothing it did not send; with another body, 422.
    const elsewhere = await server.agent().post('/api/account-requests', form, { 'idempotency-key': 'request-tunnel-1' });
    assert.deepEqual([elsewhere.status, elsewhere.headers.get('idempotent-replayed')], [201, 'true']);
    const other = await visitor.post('/api/account-requests', { ...form, companyName: 'Other Co' }, { 'idempotency-key': 'request-tunnel-1' });
    assert.equal(other.status, 422, JSON.stringify(other.body));
    assert.equal(other.body.error.code, 'api.idempotency_key_reused');
    // Without a key the same form is the same company asked for again: refused as taken.
    const without = await visitor.post('/api/account-requests', form);
    assert.equal(without.status, 409, JSON.stringify(without.body));
    // Replays are not requests run: the network's hourly cap counts the two that ran.
    assert.equal((await capSpent()) - before, 2);
  });

  /** The account requests the loopback network has spent of its hourly cap (both buckets). */
  function capOfLoopbackRequests() {
    const keyHash = hashToken(accountRequestCap(clientNetwork('127.0.0.1'), server.gatehouse.deps.config.accountRequestsPerHour).key);
    return async () => {
      const row = await server.gatehouse.deps.db.selectFrom('rate_caps').select(['used', 'previous_used']).where('key_hash', '=', keyHash).executeTakeFirst();
      return row ? Number(row.used) + Number(row.previous_used) : 0;
    };
  }

  test('every create the API answers 201 takes an Idempotency-Key, the anonymous account request too', async () => {
    const document = (await server.agent().get('/api/openapi.json')).body as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown>; parameters?: { in: string; name: string }[] }>>;
    };
    const creates = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.responses?.['201'])
        .map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, takesKey: Boolean(operation.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key')) })),
    );
    assert.ok(creates.length >= 10, `the creates found: ${creates.map((c) => c.route).join(', ')}`);
    const withoutKey = creates.filter((create) => !create.takesKey).map((create) => create.route);
    assert.deepEqual(withoutKey, []);
  });
});
