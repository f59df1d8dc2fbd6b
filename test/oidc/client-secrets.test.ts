// A confidential module's secret: shown once at registration, stored only as a keyed hash,
// checked at the token endpoint (client credentials, code redemption), and replaced at once
// by rotate-secret.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signedInOperator } from '../helpers/journey.ts';
import { client, companyWithRootMaster, discover, followRedirects, grantedModule, redeem, registerTestModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let operator: Awaited<ReturnType<typeof signedInOperator>>;
let root: Person;

before(async () => {
  server = await startTestServer({ realClock: true });
  operator = await signedInOperator(server);
  root = await companyWithRootMaster(server, operator.agent);
});
after(() => server.close());

/** The OAuth error code, from the JSON body or from a WWW-Authenticate challenge (401). */
function oauthError(error: any): string | undefined {
  return error.error ?? error.cause?.[0]?.parameters?.error;
}

function assertInvalidClient(error: any) {
  assert.equal(oauthError(error), 'invalid_client', String(error));
  return true;
}

test('a confidential module gets a client credentials token with its secret; a wrong secret is invalid_client', async () => {
  const registered = await registerTestModule(operator.agent, { name: 'Reporting' });
  assert.ok(registered.clientSecret && registered.clientSecret.length >= 32, 'a long random secret');
  const config = await discover(server, registered.module.clientId, registered.clientSecret);

  const tokens = await client.clientCredentialsGrant(config);
  assert.ok(tokens.access_token);
  assert.equal(tokens.refresh_token, undefined, 'no refresh token for client credentials');
  const details = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(details.active, true);
  assert.equal(details.client_id, registered.module.clientId);
  assert.equal(details.sub, undefined, 'the token speaks for the module, not for a user');
  await assert.rejects(client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck), (error: any) => {
    assert.ok([400, 401].includes(error.status ?? error.response?.status), String(error));
    return true;
  });

  const almost = registered.clientSecret.slice(0, -1) + (registered.clientSecret.endsWith('A') ? 'B' : 'A');
  for (const wrong of [almost, '', 'x'.repeat(1000)]) {
    const impostor = await discover(server, registered.module.clientId, wrong || 'nothing');
    await assert.rejects(client.clientCredentialsGrant(impostor), assertInvalidClient);
  }
  // Someone else's secret does not open this module either.
  const other = await registerTestModule(operator.agent, { name: 'Billing' });
  const crossed = await discover(server, registered.module.clientId, other.clientSecret);
  await assert.rejects(client.clientCredentialsGrant(crossed), assertInvalidClient);
});

test('a public module cannot use client credentials', async () => {
  const registered = await registerTestModule(operator.agent, { name: 'Field App', clientType: 'public' });
  assert.equal(registered.clientSecret, null);
  const config = await discover(server, registered.module.clientId, null);
  await assert.rejects(client.clientCredentialsGrant(config), (error: any) => {
    assert.ok(['unauthorized_client', 'invalid_client', 'invalid_request'].includes(oauthError(error) as string), `${error} ${oauthError(error)} ${error.error_description}`);
    return true;
  });
});

test('the secret is shown once and stored only as a hash', async () => {
  const registered = await registerTestModule(operator.agent, { name: 'Inventory' });
  const secret = registered.clientSecret as string;

  const listed = await operator.agent.get('/api/operator/modules');
  assert.equal(listed.status, 200);
  const text = JSON.stringify(listed.body);
  assert.ok(text.includes(registered.module.clientId));
  assert.ok(!text.includes(secret), 'the list never shows the secret');
  const mine = listed.body.modules.find((m: any) => m.id === registered.module.id);
  assert.equal(mine.clientSecret, undefined);
  assert.equal(mine.secretHash, undefined);

  const row = await server.gatehouse.deps.db
    .selectFrom('modules')
    .selectAll()
    .where('id', '=', registered.module.id)
    .executeTakeFirstOrThrow();
  assert.ok(row.secret_hash, 'a hash is kept');
  assert.notEqual(row.secret_hash, secret);
  const stored = JSON.stringify(row);
  assert.ok(!stored.includes(secret), 'the plain secret is nowhere in the row');
  assert.ok(!stored.includes(Buffer.from(secret).toString('base64')), 'nor merely encoded');

  // Only operators see and manage modules.
  const asCompany = await root.agent.get('/api/operator/modules');
  assert.equal(asCompany.status, 403);
  const rotateAsCompany = await root.agent.post(`/api/operator/modules/${registered.module.id}/rotate-secret`);
  assert.equal(rotateAsCompany.status, 403);
  assert.equal((await server.agent().get('/api/operator/modules')).status, 401);
});

test('rotate-secret: the new secret works at once and the old one stops', async () => {
  const module = await grantedModule(server, operator.agent, root.companyId, { name: 'Ticketing' });
  const oldSecret = module.clientSecret as string;
  await client.clientCredentialsGrant(module.config);

  // A code obtained before the rotation, redeemed after it.
  const start = await startAuthorization(module.config);
  const walk = await followRedirects(root.agent, start.url);
  assert.ok(walk.callback);

  const rotated = await operator.agent.post(`/api/operator/modules/${module.module.id}/rotate-secret`);
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  const newSecret = rotated.body.clientSecret as string;
  assert.ok(newSecret && newSecret !== oldSecret);

  await assert.rejects(client.clientCredentialsGrant(module.config), assertInvalidClient);
  await assert.rejects(redeem(module.config, walk.callback, start), assertInvalidClient);

  const renewed = await discover(server, module.module.clientId, newSecret);
  assert.ok((await client.clientCredentialsGrant(renewed)).access_token);
  const tokens = await redeem(renewed, walk.callback, start);
  assert.ok(tokens.claims()?.sub);

  // Both the registration and the rotation are on the trail, with the operator; the secrets never are.
  const trail = await server.gatehouse.deps.db.selectFrom('audit_events').selectAll().where('target', '=', module.module.id).execute();
  const operatorId = (await operator.agent.get('/api/me')).body.user.id;
  for (const action of ['module.registered', 'module.secret_rotated', 'module.granted']) {
    const event = trail.find((e) => e.action === action);
    assert.equal(event?.actor_id, operatorId, action);
    assert.ok(!event?.detail?.includes(newSecret) && !event?.detail?.includes(oldSecret));
  }

  const publicOne = await registerTestModule(operator.agent, { name: 'Kiosk', clientType: 'public' });
  const noSecret = await operator.agent.post(`/api/operator/modules/${publicOne.module.id}/rotate-secret`);
  assert.equal(noSecret.status, 404, 'a public module has no secret to rotate');
  const missing = await operator.agent.post('/api/operator/modules/00000000-0000-4000-8000-000000000000/rotate-secret');
  assert.equal(missing.status, 404);
});
