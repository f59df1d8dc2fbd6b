// An authorization code is good once. Redeeming it again fails and revokes what the first
// redemption issued (RFC 6749 §4.1.2); of two racing redemptions exactly one gets tokens,
// and the grant is revoked for both.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { client, followRedirects, grantedModule, redeem, rootWithGrantedModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let user: Person;
let module: Awaited<ReturnType<typeof grantedModule>>;

async function freshCode() {
  const start = await startAuthorization(module.config);
  const walk = await followRedirects(user.agent, start.url);
  assert.ok(walk.callback && walk.callback.searchParams.get('code'), `a code (ended at ${walk.at})`);
  return { start, callback: walk.callback };
}

async function isActive(token: string) {
  return (await client.tokenIntrospection(module.config, token)).active;
}

function assertInvalidGrant(error: any) {
  assert.equal(error.error, 'invalid_grant', String(error));
  return true;
}

// On SQLite the handlers barely interleave; on PostgreSQL the two redemptions really race.
for (const engine of await enginesUnderTest()) {
  describe(engine, () => {
    before(async () => {
      server = await startTestServer({ realClock: true, engine });
      ({ root: user, module } = await rootWithGrantedModule(server));
    });
    after(() => server.close());

    test('a code redeemed twice fails the second time and revokes the tokens of the first', async () => {
      const { start, callback } = await freshCode();
      const first = await redeem(module.config, callback, start);
      assert.ok(first.access_token && first.refresh_token);
      assert.equal(await isActive(first.access_token), true);

      await assert.rejects(redeem(module.config, callback, start), assertInvalidGrant);

      assert.equal(await isActive(first.access_token), false, 'the access token of the first redemption is revoked');
      assert.equal(await isActive(first.refresh_token as string), false, 'its refresh token too');
      await assert.rejects(client.refreshTokenGrant(module.config, first.refresh_token as string), assertInvalidGrant);
      await assert.rejects(client.fetchUserInfo(module.config, first.access_token, client.skipSubjectCheck), (error: any) => {
        assert.equal(error.status ?? error.response?.status, 401, String(error));
        return true;
      });
    });

    test('a third attempt is refused too, and the user can still sign in afresh', async () => {
      const { start, callback } = await freshCode();
      await redeem(module.config, callback, start);
      await assert.rejects(redeem(module.config, callback, start), assertInvalidGrant);
      await assert.rejects(redeem(module.config, callback, start), assertInvalidGrant);

      const next = await freshCode();
      const tokens = await redeem(module.config, next.callback, next.start);
      assert.equal(await isActive(tokens.access_token), true);
    });

    test('two racing redemptions of one code: exactly one gets tokens, and the grant ends', async () => {
      for (let round = 0; round < 10; round++) {
        const { start, callback } = await freshCode();
        const results = await Promise.allSettled(Array.from({ length: 2 }, () => redeem(module.config, callback, start)));
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        assert.equal(won.length, 1, `round ${round}: exactly one redemption wins`);
        for (const loser of lost) assertInvalidGrant((loser as PromiseRejectedResult).reason);

        // The loser's replay revokes the grant: whatever the winner got stops working.
        const tokens = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof redeem>>>).value;
        await assert.rejects(client.refreshTokenGrant(module.config, tokens.refresh_token as string), assertInvalidGrant);
        assert.equal(await isActive(tokens.access_token), false, `round ${round}: the winner's access token is revoked`);
      }
    });
  });
}
