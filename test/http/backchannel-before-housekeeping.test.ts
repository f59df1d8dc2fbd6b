// A sign-out is delivered before the back-channel worker's clean-up of the same pass. The
// pass also deletes expired provider records (every ten minutes) and a share of the audit
// trail's retention backlog; when those are slow (a large backlog, a locked row, a slow
// disk) the modules must still hear of the sign-out in the pass it fell due. Forced on
// PostgreSQL without timing: a connection of the test's own locks an expired record, so
// the clean-up's DELETE waits on it, and the test looks at what the module has received
// while the pass is held there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { isPostgresReachable } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, grantedModule, signInToModule } from '../helpers/oidc.ts';
import { holdLocks } from '../helpers/pg-lock-holder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

const reachable = await isPostgresReachable();

describe('a sign-out goes out before the pass cleans up (PostgreSQL)', { skip: !reachable }, () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
  before(async () => {
    receiver = await startBackchannelReceiver();
    // The worker does not run by itself here: the test runs its pass.
    server = await startTestServer({ engine: 'postgres', quietWorkers: true });
    server.clock.set(Date.now());
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  test('the module hears of the sign-out while the expired records clean-up is still waiting', async () => {
    const operator = await signedInOperator(server);
    const acme = await companyWithRootMaster(server, operator.agent, 'Acme Sign-outs');
    const ticketing = await grantedModule(server, operator.agent, acme.companyId, { name: 'Ticketing', backchannelLogoutUri: receiver.url('/ticketing/backchannel') });
    const { claims } = await signInToModule(ticketing.config, acme.agent);
    // Something for the clean-up to delete: a record long expired.
    const db = server.gatehouse.storage.db;
    await db.insertInto('oidc_records').values({ model: 'AccessToken', id: 'long-expired', payload: '{}', expires_at: server.clock() - 86_400_000 }).execute();
    assert.equal((await acme.agent.post('/api/logout')).status, 200);
    // The clean-up runs at most every ten minutes: make this pass one that runs it.
    server.clock.advance(11 * 60_000);

    const holder = await holdLocks(server.database.url);
    try {
      await holder.query(`select id from oidc_records where model = 'AccessToken' and id = 'long-expired' for update`);
      const pass = server.gatehouse.oidc.backchannel.runOnce();
      // The pass is now held by the clean-up's DELETE, behind the test's lock.
      await until(async () => (await holder.lockWaiters()) > 0, 'the clean-up waits on the locked record');
      const delivered = receiver.received.some((n) => n.accepted && n.path === '/ticketing/backchannel' && n.payload.sub === claims.sub && n.payload.sid === claims.sid);
      await holder.release();
      await pass;
      assert.ok(delivered, 'the sign-out was delivered before the clean-up began');
    } finally {
      await holder.close();
    }
    const left = await db.selectFrom('oidc_records').select('id').where('id', '=', 'long-expired').execute();
    assert.deepEqual(left, [], 'and the clean-up then went on');
  });
});
