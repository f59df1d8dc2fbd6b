// ID token signing keys: rotation publishes a new key and keeps the old one published for
// a grace period, so tokens signed before still verify; a rotation --now (a leaked key)
// drops the old keys at once; a restart on the same database keeps the keys, and every
// token and session with them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createGatehouse, type Gatehouse } from '../../src/gatehouse.ts';
import { RETIRED_KEY_GRACE_MS, rotateSigningKeys } from '../../src/modules/index.ts';
import {
  client,
  discover,
  grantedModule,
  jwtParts,
  publishedKeys,
  rootWithGrantedModule,
  signInToModule,
  verifiesWithJwks,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let restarted: Gatehouse | undefined;
let root: Person;
let module: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ root, module } = await rootWithGrantedModule(server));
});
after(async () => {
  if (!restarted) return server.close();
  await restarted.close();
  await server.mail.close();
  await server.database.drop();
});

const kidOf = (jwt: string) => jwtParts(jwt).header.kid;
const gatehouse = () => restarted ?? server.gatehouse;

async function rotate(now = Date.now()) {
  const { db, secrets } = gatehouse().deps;
  await rotateSigningKeys(db, secrets, now);
  await gatehouse().oidc.reloadKeys();
}

test('after a rotation, old ID tokens still verify and new ones carry the new key', async () => {
  const before = await signInToModule(module.config, root.agent);
  const oldToken = before.tokens.id_token as string;
  const oldKid = kidOf(oldToken);
  assert.ok(await verifiesWithJwks(module.config, oldToken));

  await rotate();

  const keys = await publishedKeys(module.config);
  assert.ok(keys.some((key) => key.kid === oldKid), 'the retired key is still published');
  assert.ok(await verifiesWithJwks(module.config, oldToken), 'a token signed before the rotation still verifies');

  const after = await signInToModule(module.config, root.agent);
  const newToken = after.tokens.id_token as string;
  assert.notEqual(kidOf(newToken), oldKid, 'new tokens are signed with the new key');
  assert.equal(jwtParts(newToken).header.alg, 'RS256');
  assert.ok(await verifiesWithJwks(module.config, newToken));
  assert.equal(after.claims.sub, before.claims.sub);

  // What the module held before the rotation keeps working.
  assert.equal((await client.tokenIntrospection(module.config, before.tokens.access_token)).active, true);
  const refreshed = await client.refreshTokenGrant(module.config, before.tokens.refresh_token as string);
  assert.equal(kidOf(refreshed.id_token as string), kidOf(newToken));
});

test('a key retired longer than the grace period is no longer published', async () => {
  const signed = await signInToModule(module.config, root.agent);
  const kid = kidOf(signed.tokens.id_token as string);
  await rotate();
  assert.ok((await publishedKeys(module.config)).some((key) => key.kid === kid));
  // The next rotation comes after the grace period (the rotation's own clock moves on).
  const { db, secrets } = gatehouse().deps;
  await rotateSigningKeys(db, secrets, Date.now() + RETIRED_KEY_GRACE_MS + 60_000);
  await gatehouse().oidc.reloadKeys();
  assert.ok(!(await publishedKeys(module.config)).some((key) => key.kid === kid), 'removed after the grace period');
  assert.equal(await verifiesWithJwks(module.config, signed.tokens.id_token as string), false);
  const fresh = await signInToModule(module.config, root.agent);
  assert.ok(await verifiesWithJwks(module.config, fresh.tokens.id_token as string));
});

test('a rotation --now (a leaked key) stops publishing every previous key at once', async () => {
  const signed = await signInToModule(module.config, root.agent);
  const leakedKid = kidOf(signed.tokens.id_token as string);
  await rotate(); // a routine rotation first: a retired key in its grace period goes too
  const before = (await publishedKeys(module.config)).map((key) => key.kid);
  assert.ok(before.includes(leakedKid));

  const { db, secrets } = gatehouse().deps;
  const { dropped } = await rotateSigningKeys(db, secrets, Date.now(), { dropPrevious: true });
  assert.deepEqual([...dropped].sort(), [...before].sort(), 'every key published before is dropped');
  // How a running node learns: its periodic key check (KEY_CHECK_MS), run now.
  await gatehouse().oidc.reloadKeys();

  const after = (await publishedKeys(module.config)).map((key) => key.kid);
  assert.equal(after.length, 2, 'one new key per algorithm');
  for (const kid of before) assert.ok(!after.includes(kid), `${kid} is no longer published`);
  assert.equal(await verifiesWithJwks(module.config, signed.tokens.id_token as string), false, 'what the old key signed fails');
  const fresh = await signInToModule(module.config, root.agent);
  assert.ok(after.includes(kidOf(fresh.tokens.id_token as string)));
  assert.ok(await verifiesWithJwks(module.config, fresh.tokens.id_token as string));
});

test('a restart on the same database keeps the keys, the tokens and the sessions', async () => {
  const before = await signInToModule(module.config, root.agent);
  const idToken = before.tokens.id_token as string;
  const keysBefore = (await publishedKeys(module.config)).map((key) => key.kid).sort();

  const { config } = server.gatehouse.deps;
  await server.gatehouse.close();
  restarted = await createGatehouse(config, { logger: false, mailWorkerIntervalMs: 200 });
  await restarted.listen();

  const config2 = await discover(server, module.module.clientId, module.clientSecret);
  assert.deepEqual((await publishedKeys(config2)).map((key) => key.kid).sort(), keysBefore, 'the same keys after the restart');
  assert.ok(await verifiesWithJwks(config2, idToken), 'an ID token from before the restart verifies');

  assert.equal((await client.tokenIntrospection(config2, before.tokens.access_token)).active, true);
  const refreshed = await client.refreshTokenGrant(config2, before.tokens.refresh_token as string);
  assert.equal(kidOf(refreshed.id_token as string), kidOf(idToken));

  // The browser is still signed in to Gatehouse and to the provider: silent sign-in works.
  const again = await signInToModule(config2, root.agent);
  assert.equal(again.claims.sub, before.claims.sub);
  assert.equal(again.claims.auth_time, before.claims.auth_time, 'no new login was needed');
  assert.equal(kidOf(again.tokens.id_token as string), kidOf(idToken));
});
