// Refresh tokens rotate: each one is good once. Re-using a rotated one is treated as
// theft and ends the whole grant, the newest refresh token included. Refresh tokens also
// end with the user: a disabled user or a suspended company gets no new tokens.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { signedInOperator } from '../helpers/journey.ts';
import { client, companyUser, companyWithRootMaster, grantedModule, rootWithGrantedModule, signInToModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let operator: Awaited<ReturnType<typeof signedInOperator>>;
let root: Person;
let module: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ operator, root, module } = await rootWithGrantedModule(server));
});
after(() => server.close());

function assertInvalidGrant(error: any) {
  assert.equal(error.error, 'invalid_grant', String(error));
  return true;
}

const isActive = async (token: string) => (await client.tokenIntrospection(module.config, token)).active;

test('each refresh returns a new refresh token; the ID token still names the same user', async () => {
  const { tokens, claims } = await signInToModule(module.config, root.agent);
  const first = tokens.refresh_token as string;
  const second = await client.refreshTokenGrant(module.config, first);
  assert.ok(second.refresh_token && second.refresh_token !== first, 'the refresh token rotated');
  assert.ok(second.access_token && second.access_token !== tokens.access_token);
  assert.equal(second.claims()?.sub, claims.sub);
  assert.deepEqual(second.claims()?.amr, claims.amr);
  assert.equal(second.claims()?.auth_time, claims.auth_time, 'a refresh is not a new login');
  const third = await client.refreshTokenGrant(module.config, second.refresh_token);
  assert.ok(third.refresh_token && third.refresh_token !== second.refresh_token);
  assert.equal(await isActive(third.access_token), true);
  assert.equal(await isActive(first), false, 'a rotated refresh token is spent');
});

test('re-using a rotated refresh token fails and ends the grant, newest tokens included', async () => {
  const { tokens } = await signInToModule(module.config, root.agent);
  const stolen = tokens.refresh_token as string;
  const legit = await client.refreshTokenGrant(module.config, stolen);
  assert.equal(await isActive(legit.access_token), true);

  await assert.rejects(client.refreshTokenGrant(module.config, stolen), assertInvalidGrant);

  await assert.rejects(client.refreshTokenGrant(module.config, legit.refresh_token as string), assertInvalidGrant);
  assert.equal(await isActive(legit.access_token), false, 'the newest access token is revoked too');
  assert.equal(await isActive(tokens.access_token), false);
});

test('two racing refreshes with one token: at most one succeeds and the grant ends', async () => {
  const { tokens } = await signInToModule(module.config, root.agent);
  const refresh = tokens.refresh_token as string;
  const results = await Promise.allSettled([client.refreshTokenGrant(module.config, refresh), client.refreshTokenGrant(module.config, refresh)]);
  const won = results.filter((r) => r.status === 'fulfilled');
  assert.ok(won.length <= 1, 'never two new refresh tokens from one');
  for (const r of results) if (r.status === 'rejected') assertInvalidGrant(r.reason);
  for (const r of won) {
    const value = (r as PromiseFulfilledResult<client.TokenEndpointResponse>).value;
    await assert.rejects(client.refreshTokenGrant(module.config, value.refresh_token as string), assertInvalidGrant);
  }
});

test('a refresh token lives no longer than a Gatehouse session (12 hours)', async () => {
  const { tokens } = await signInToModule(module.config, root.agent);
  const details = await client.tokenIntrospection(module.config, tokens.refresh_token as string);
  assert.equal(details.active, true);
  assert.ok(typeof details.exp === 'number' && details.exp <= Date.now() / 1000 + 12 * 3600 + 5, `exp ${details.exp}`);
});

test('a disabled user gets no new tokens from a refresh token, nor userinfo', async () => {
  const leaver = await companyUser(server, root, 'leaver');
  const { tokens, claims } = await signInToModule(module.config, leaver.agent);
  const refreshed = await client.refreshTokenGrant(module.config, tokens.refresh_token as string);

  await server.gatehouse.deps.db
    .updateTable('users')
    .set({ status: 'disabled' })
    .where('company_id', '=', root.companyId)
    .where('username', '=', 'leaver')
    .execute();

  await assert.rejects(client.refreshTokenGrant(module.config, refreshed.refresh_token as string), assertInvalidGrant);
  await assert.rejects(client.fetchUserInfo(module.config, refreshed.access_token, claims.sub), (error: any) => {
    assert.equal(error.status ?? error.response?.status, 401, String(error));
    return true;
  });
  // The browser session that signed in to the module is over too.
  assert.equal((await leaver.agent.get('/api/me')).status, 401);
});

test('users of a suspended company get no new tokens', async () => {
  const other = await companyWithRootMaster(server, operator.agent);
  const theirs = await grantedModule(server, operator.agent, other.companyId, { name: 'Other Ticketing' });
  const { tokens } = await signInToModule(theirs.config, other.agent);
  await server.gatehouse.deps.db.updateTable('companies').set({ status: 'suspended' }).where('id', '=', other.companyId).execute();
  await assert.rejects(client.refreshTokenGrant(theirs.config, tokens.refresh_token as string), assertInvalidGrant);
});

test('logging out of Gatehouse ends the module tokens too, refresh tokens included', async () => {
  const person = await companyUser(server, root, 'logs-out');
  const { tokens } = await signInToModule(module.config, person.agent);
  assert.equal(await isActive(tokens.access_token), true);
  const out = await person.agent.post('/api/logout');
  assert.equal(out.status, 200);
  await assert.rejects(client.refreshTokenGrant(module.config, tokens.refresh_token as string), assertInvalidGrant);
  assert.equal(await isActive(tokens.access_token), false);
});
