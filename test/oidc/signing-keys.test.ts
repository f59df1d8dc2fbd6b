// ID token signing keys: a routine rotation publishes the new key at once and signs with it
// only from its activation time, once every node publishes it and verifiers' cached key
// sets have expired; the old key keeps signing until then and stays published for a grace
// period after, so tokens signed before still verify; a rotation --now (a leaked key) drops
// the old keys and signs with the new ones at once; a restart on the same database keeps
// the keys, and every token and session with them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGatehouse, type Gatehouse } from '../../src/gatehouse.ts';
import { KEY_ACTIVATION_DELAY_MS, loadSigningKeys, RETIRED_KEY_GRACE_MS, rotateSigningKeys } from '../../src/modules/index.ts';
import { KEY_CHECK_MS } from '../../src/modules/signing-keys.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
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

const kidOf = (jwt: string) => jwtParts(jwt).header.kid;

for (const engine of await enginesUnderTest()) {
  describe(`ID token signing keys (${engine})`, () => {
    let server: TestServer;
    let restarted: Gatehouse | undefined;
    let root: Person;
    let module: Awaited<ReturnType<typeof grantedModule>>;

    before(async () => {
      // The test's clock, started at the wall clock so TOTP codes agree; activation is reached by moving it.
      server = await startTestServer({ engine });
      server.clock.set(Date.now());
      ({ root, module } = await rootWithGrantedModule(server));
    });
    after(async () => {
      if (!restarted) return server.close();
      await restarted.close();
      await server.mail.close();
      await server.database.drop();
    });

    const gatehouse = () => restarted ?? server.gatehouse;
    const publishedKids = async () => (await publishedKeys(module.config)).map((key) => key.kid);
    /** A routine rotation (as `gatehouse keys rotate` on any node), then this node's key check. */
    async function rotate(now = server.clock()) {
      const { db, secrets } = gatehouse().deps;
      const rotation = await rotateSigningKeys(db, secrets, now);
      await gatehouse().oidc.reloadKeys();
      return rotation;
    }
    async function newRsaKid() {
      const { db } = gatehouse().deps;
      const row = await db.selectFrom('signing_keys').select('kid').where('status', '=', 'active').where('alg', '=', 'RS256').executeTakeFirstOrThrow();
      return row.kid;
    }

    test('a routine rotation publishes the new key at once and signs with it only from its activation', async () => {
      const before = await signInToModule(module.config, root.agent);
      const oldToken = before.tokens.id_token as string;
      const oldKid = kidOf(oldToken);
      assert.ok(await verifiesWithJwks(module.config, oldToken));

      const { activatesAt } = await rotate();
      const newKid = await newRsaKid();
      const published = await publishedKids();
      assert.ok(published.includes(newKid), 'the new key is published at once');
      assert.ok(published.includes(oldKid), 'the current key is still published');

      const pending = await signInToModule(module.config, root.agent);
      assert.equal(kidOf(pending.tokens.id_token as string), oldKid, 'before its activation, the old key still signs');
      assert.ok(await verifiesWithJwks(module.config, pending.tokens.id_token as string));
      assert.equal(activatesAt, server.clock() + KEY_ACTIVATION_DELAY_MS);

      // A key check just before the activation changes nothing; the first one after switches.
      server.clock.advance(KEY_ACTIVATION_DELAY_MS - 1);
      await gatehouse().oidc.reloadKeys();
      assert.equal(kidOf((await signInToModule(module.config, root.agent)).tokens.id_token as string), oldKid);
      server.clock.advance(1);
      await gatehouse().oidc.reloadKeys();

      const after = await signInToModule(module.config, root.agent);
      const newToken = after.tokens.id_token as string;
      assert.equal(kidOf(newToken), newKid, 'after its activation, new tokens are signed with the new key');
      assert.equal(jwtParts(newToken).header.alg, 'RS256');
      assert.ok(await verifiesWithJwks(module.config, newToken));
      assert.equal(after.claims.sub, before.claims.sub);
      assert.ok((await publishedKids()).includes(oldKid), 'the retired key is still published');
      assert.ok(await verifiesWithJwks(module.config, oldToken), 'a token signed before the rotation still verifies');

      // What the module held before the rotation keeps working.
      assert.equal((await client.tokenIntrospection(module.config, before.tokens.access_token)).active, true);
      const refreshed = await client.refreshTokenGrant(module.config, before.tokens.refresh_token as string);
      assert.equal(kidOf(refreshed.id_token as string), newKid);
    });

    test('every token a node signs after a rotation carries a key the other nodes publish, and verifiers cache', async () => {
      const { db, secrets } = gatehouse().deps;
      // Another node: what its JWKS serves is what its key loader read at its last key check.
      const otherNodeCheck = async () => (await loadSigningKeys(db, secrets, server.clock())).keys.map((key) => key.kid);
      const answer = await fetch(module.config.serverMetadata().jwks_uri as string);
      const maxAgeS = Number(/max-age=(\d+)/.exec(answer.headers.get('cache-control') ?? '')?.[1]);
      assert.ok(maxAgeS > 0, 'the key set is cacheable');
      assert.ok(KEY_ACTIVATION_DELAY_MS >= KEY_CHECK_MS + maxAgeS * 1000, 'activation waits for a key check on every node and for cached key sets');

      const otherBefore = await otherNodeCheck();
      const cachedByModule = await publishedKids();
      await rotate(); // this node's check runs first; the other's has not yet
      const signed = kidOf((await signInToModule(module.config, root.agent)).tokens.id_token as string);
      assert.ok(otherBefore.includes(signed), `the other node publishes ${signed} before its key check`);
      assert.ok(cachedByModule.includes(signed), 'a key set a module cached before the rotation has it');

      server.clock.advance(KEY_CHECK_MS); // the other node's check: it publishes the new keys
      const otherAfter = await otherNodeCheck();
      server.clock.advance(KEY_ACTIVATION_DELAY_MS - KEY_CHECK_MS);
      await gatehouse().oidc.reloadKeys();
      const signedLater = kidOf((await signInToModule(module.config, root.agent)).tokens.id_token as string);
      assert.equal(signedLater, await newRsaKid());
      assert.ok(otherAfter.includes(signedLater), `the other node published ${signedLater} before it signed`);
      assert.ok(!otherBefore.includes(signedLater));
    });

    test('a key retired longer than the grace period is no longer published', async () => {
      const signed = await signInToModule(module.config, root.agent);
      const kid = kidOf(signed.tokens.id_token as string);
      await rotate();
      server.clock.advance(KEY_ACTIVATION_DELAY_MS);
      await gatehouse().oidc.reloadKeys();
      assert.ok((await publishedKids()).includes(kid));
      // The next rotation comes after the grace period (the rotation's own clock moves on).
      await rotate(server.clock() + RETIRED_KEY_GRACE_MS + 60_000);
      assert.ok(!(await publishedKids()).includes(kid), 'removed after the grace period');
      assert.equal(await verifiesWithJwks(module.config, signed.tokens.id_token as string), false);
      const fresh = await signInToModule(module.config, root.agent);
      assert.ok(await verifiesWithJwks(module.config, fresh.tokens.id_token as string));
    });

    test('a rotation --now (a leaked key) stops publishing every previous key and signs with the new one at once', async () => {
      const signed = await signInToModule(module.config, root.agent);
      const leakedKid = kidOf(signed.tokens.id_token as string);
      await rotate(); // a routine rotation first: its keys, not yet signing, and the signing ones go too
      const before = await publishedKids();
      assert.ok(before.includes(leakedKid));

      const { db, secrets } = gatehouse().deps;
      const { dropped, activatesAt } = await rotateSigningKeys(db, secrets, server.clock(), { dropPrevious: true });
      assert.deepEqual([...dropped].sort(), [...before].sort(), 'every key published before is dropped');
      assert.equal(activatesAt, server.clock(), 'the new keys sign at once');
      // How a running node learns: its periodic key check (KEY_CHECK_MS), run now.
      await gatehouse().oidc.reloadKeys();

      const after = await publishedKids();
      assert.equal(after.length, 2, 'one new key per algorithm');
      for (const kid of before) assert.ok(!after.includes(kid), `${kid} is no longer published`);
      assert.equal(await verifiesWithJwks(module.config, signed.tokens.id_token as string), false, 'what the old key signed fails');
      const fresh = await signInToModule(module.config, root.agent);
      assert.equal(kidOf(fresh.tokens.id_token as string), await newRsaKid(), 'signed with the new key without waiting');
      assert.ok(await verifiesWithJwks(module.config, fresh.tokens.id_token as string));
    });

    test('a restart on the same database keeps the keys, the tokens and the sessions', async () => {
      const before = await signInToModule(module.config, root.agent);
      const idToken = before.tokens.id_token as string;
      const keysBefore = (await publishedKids()).sort();

      const { config } = server.gatehouse.deps;
      await server.gatehouse.close();
      restarted = await createGatehouse(config, { clock: server.clock, logger: false, mailWorkerIntervalMs: 200 });
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
  });
}
