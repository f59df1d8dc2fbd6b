// The provider's records once their time is up are removed by each node's housekeeping
// (src/modules/oidc/expired-records.ts, run by the back-channel worker): a client
// credentials token is a row, and nothing else ever removed one. What is still in use is
// untouched: a signed-in module's tokens still refresh and still answer userinfo, and a
// record just past its time stays through the grace. A backlog larger than one statement's
// share goes in one sweep, a bounded DELETE at a time. Both databases.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { EXPIRED_RECORD_GRACE_MS, EXPIRED_RECORDS_PER_DELETE } from '../../src/modules/oidc/expired-records.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { client, rootWithGrantedModule, signInToModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) {
  describe(`expired provider records are swept (${engine})`, () => {
    let server: TestServer;
    let root: Person;
    let module: Awaited<ReturnType<typeof rootWithGrantedModule>>['module'];

    before(async () => {
      // The worker does not run by itself here: the test runs its pass.
      server = await startTestServer({ realClock: true, engine, quietWorkers: true });
      ({ root, module } = await rootWithGrantedModule(server));
    });
    after(() => server.close());

    test('expired records go, a backlog in bounded deletes; live ones and those within the grace stay', async () => {
      const db = server.gatehouse.storage.db;
      const signedIn = await signInToModule(module.config, root.agent, { scope: 'openid profile offline_access' });
      for (let i = 0; i < 3; i++) await client.clientCredentialsGrant(module.config);
      const now = Date.now();
      // Time passes for the client credentials tokens: their expiry is an hour ago.
      await db.updateTable('oidc_records').set({ expires_at: now - 3_600_000 }).where('model', '=', 'ClientCredentials').execute();
      // A backlog of more than two statements' worth, as months of tokens leave.
      const backlog = 2 * EXPIRED_RECORDS_PER_DELETE + 37;
      const rows = Array.from({ length: backlog }, (_, i) => ({ model: 'AccessToken', id: `expired-${randomUUID()}`, payload: '{}', expires_at: now - 86_400_000 - i }));
      for (let at = 0; at < rows.length; at += 200) await db.insertInto('oidc_records').values(rows.slice(at, at + 200)).execute();
      // Just past its time: within the grace, it stays this pass.
      await db.insertInto('oidc_records').values({ model: 'AccessToken', id: 'just-expired', payload: '{}', expires_at: now - EXPIRED_RECORD_GRACE_MS / 2 }).execute();
      const before = await db.selectFrom('oidc_records').select(({ fn }) => fn.countAll<number>().as('n')).where('expires_at', '<', now).executeTakeFirstOrThrow();
      assert.equal(Number(before.n), backlog + 3 + 1);

      await server.gatehouse.oidc.backchannel.runOnce();

      const left = await db.selectFrom('oidc_records').select(['model', 'id']).where('expires_at', '<', now).execute();
      assert.deepEqual(left.map(({ model, id }) => `${model}:${id}`), ['AccessToken:just-expired'], 'every expired record but the one within the grace');
      // What is still in use works as before.
      const sub = signedIn.claims.sub;
      assert.equal((await client.fetchUserInfo(module.config, signedIn.tokens.access_token, sub)).sub, sub);
      const refreshed = await client.refreshTokenGrant(module.config, signedIn.tokens.refresh_token as string);
      assert.ok(refreshed.access_token);
      assert.ok((await client.clientCredentialsGrant(module.config)).access_token, 'new client credentials tokens are stored as before');
    });
  });
}
