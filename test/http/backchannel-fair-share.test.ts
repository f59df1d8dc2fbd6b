// Guards how the back-channel worker shares a pass among modules (leased-jobs dueByGroup):
// each module's due notices get their share, every module's first before any module's
// rest, so a module's backlog (old notices retried with backoff stay the oldest due) never
// takes another module's place, and the backlog itself still drains over the next passes.
// The worker once took the 20 oldest due notices a pass: a module answering 503 with 50
// notices owed filled every pass, and another module's fresh logout waited behind them.
// With the passes run by the test on the test's clock; on two nodes (PostgreSQL) each notice
// is still delivered once: the claim stays the one guard.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enqueueLogoutNotice } from '../../src/modules/backchannel/index.ts';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { enginesUnderTest, isPostgresReachable } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, grantedModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** What the worker takes of one module in a pass (worker.ts PER_MODULE). */
const SHARE = 20;

type Receiver = Awaited<ReturnType<typeof startBackchannelReceiver>>;
type Operator = Awaited<ReturnType<typeof signedInOperator>>;

async function twoModules(server: TestServer, operator: Operator, receiver: Receiver, companyName: string) {
  const acme = await companyWithRootMaster(server, operator.agent, companyName);
  const reports = await grantedModule(server, operator.agent, acme.companyId, { name: 'Reports', backchannelLogoutUri: receiver.url(`/${acme.companyId}/reports`) });
  const ticketing = await grantedModule(server, operator.agent, acme.companyId, { name: 'Ticketing', backchannelLogoutUri: receiver.url(`/${acme.companyId}/ticketing`) });
  const owe = async (module: typeof reports, sids: string[]) => {
    for (const sid of sids) {
      await enqueueLogoutNotice(server.gatehouse.deps.db, server.clock(), { companyId: acme.companyId, clientId: module.module.clientId, accountId: 'acct', sid, reason: 'logout' });
      server.clock.advance(1);
    }
  };
  const heard = (module: 'reports' | 'ticketing') => receiver.received.filter((n) => n.accepted && n.path === `/${acme.companyId}/${module}`).map((n) => String(n.payload.sid));
  return { acme, reports, ticketing, owe, heard, paths: { reports: `/${acme.companyId}/reports`, ticketing: `/${acme.companyId}/ticketing` } };
}

const sids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

for (const engine of await enginesUnderTest()) {
  describe(`each module gets its share of a pass (${engine})`, () => {
    let server: TestServer;
    let receiver: Receiver;
    let operator: Operator;
    before(async () => {
      receiver = await startBackchannelReceiver();
      server = await startTestServer({ engine, quietWorkers: true });
      server.clock.set(Date.now());
      operator = await signedInOperator(server);
    });
    after(async () => {
      await server.close();
      await receiver.close();
    });

    test("a module's backlog takes its share of a pass, not another module's place, and drains over the next passes", async () => {
      const { owe, heard, reports, ticketing } = await twoModules(server, operator, receiver, 'Acme Shares');
      await owe(reports, sids('backlog', 50));
      await owe(ticketing, sids('fresh', 3));
      const worker = server.gatehouse.oidc.backchannel;

      assert.equal(await worker.runOnce(), SHARE + 3);
      assert.deepEqual(heard('ticketing').sort(), sids('fresh', 3).sort(), 'every Ticketing notice in the first pass');
      assert.deepEqual(heard('reports').sort(), sids('backlog', SHARE).sort(), "Reports' oldest, as many as its share");

      while ((await worker.runOnce()) > 0);
      assert.deepEqual(heard('reports').sort(), sids('backlog', 50).sort(), 'the backlog drained, each notice once');
    });

    test("a module answering 503 keeps its retried old notices from holding up another module's fresh one", async () => {
      const { owe, heard, reports, ticketing, paths } = await twoModules(server, operator, receiver, 'Acme Retries');
      const worker = server.gatehouse.oidc.backchannel;
      // Reports is down: its 50 notices are tried and come due again, the oldest due.
      receiver.failNext(paths.reports, 10_000);
      await owe(reports, sids('down', 50));
      for (let pass = 0; pass < 6; pass++) {
        await worker.runOnce();
        server.clock.advance(60_000);
      }
      await owe(ticketing, ['after-the-outage']);

      await worker.runOnce();
      assert.deepEqual(heard('ticketing'), ['after-the-outage'], 'delivered in the first pass it was due in');
      assert.deepEqual(heard('reports'), []);
      receiver.failNext(paths.reports, 0);
    });
  });
}

const reachable = await isPostgresReachable();

describe('two nodes sharing the passes deliver each notice once (PostgreSQL)', { skip: !reachable }, () => {
  let nodeA: TestServer;
  let nodeB: TestServer;
  let receiver: Receiver;
  before(async () => {
    receiver = await startBackchannelReceiver();
    nodeA = await startTestServer({ engine: 'postgres', quietWorkers: true });
    nodeB = await startTestServer({ quietWorkers: true, env: { GATEHOUSE_DATABASE_URL: nodeA.database.url } });
    nodeA.clock.set(Date.now());
    nodeB.clock.set(nodeA.clock());
  });
  after(async () => {
    await nodeB.close();
    await nodeA.close();
    await receiver.close();
  });

  test('passes of both nodes at once: every notice delivered, none twice', async () => {
    const { owe, heard, reports, ticketing } = await twoModules(nodeA, await signedInOperator(nodeA), receiver, 'Acme Two Nodes');
    await owe(reports, sids('backlog', 60));
    await owe(ticketing, sids('fresh', 10));
    nodeB.clock.set(nodeA.clock());
    for (;;) {
      const [a, b] = await Promise.all([nodeA.gatehouse.oidc.backchannel.runOnce(), nodeB.gatehouse.oidc.backchannel.runOnce()]);
      if (a + b === 0) break;
    }
    assert.deepEqual(heard('reports').sort(), sids('backlog', 60).sort());
    assert.deepEqual(heard('ticketing').sort(), sids('fresh', 10).sort());
  });
});
