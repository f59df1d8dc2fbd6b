// Back-channel logout notices keep to the one outbound policy (src/shared/outbound-fetch.ts):
// a module's URI may lead to a public address, or to a private network the operator allows
// (GATEHOUSE_MODULE_PRIVATE_NETWORKS; by default this machine's loopback only while the
// portal itself is served on loopback, for development). A portal that allows none sends
// nothing to its own loopback, whatever spelling the URI uses: a module's registration is
// an operator's (or a platform API client's) and must not make Gatehouse a client of the
// services beside it. The attempt is kept in the outbox with the reason, for the operator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyUser, companyWithRootMaster, grantedModule, signInToModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

describe('back-channel logouts from a portal that allows no private network', () => {
  let server: TestServer;
  let internal: Awaited<ReturnType<typeof startBackchannelReceiver>>;
  before(async () => {
    internal = await startBackchannelReceiver(); // a service on this machine's loopback
    server = await startTestServer({ realClock: true, env: { GATEHOUSE_MODULE_PRIVATE_NETWORKS: 'none' } });
  });
  after(async () => {
    await server.close();
    await internal.close();
  });

  test("a notice to the machine's own loopback, in any spelling, is never sent; the outbox says why", async () => {
    const operator = (await signedInOperator(server)).agent;
    const root = await companyWithRootMaster(server, operator);
    const port = new URL(internal.url('/')).port;
    const spellings = [`http://127.0.0.1:${port}/a`, `http://localhost:${port}/b`, `http://[::1]:${port}/c`];
    for (const [i, uri] of spellings.entries()) {
      const module = await grantedModule(server, operator, root.companyId, { name: `Internal ${i}`, backchannelLogoutUri: uri });
      const user = await companyUser(server, root, `victim${i}`);
      await signInToModule(module.config, user.agent);
      assert.equal((await user.agent.post('/api/logout')).status, 200);
    }
    const { db } = server.gatehouse.deps;
    const refused = async () => db.selectFrom('backchannel_outbox').select(['attempts', 'last_error']).where('last_error', 'is not', null).execute();
    await until(async () => (await refused()).length === spellings.length, 'every notice tried once');
    for (const row of await refused()) assert.match(row.last_error ?? '', /not a public address/);
    assert.deepEqual(internal.received.map((notice) => notice.path), [], 'nothing reached the loopback service');
  });
});
