// Two group changes at once that together take a module from a user (PostgreSQL, READ
// COMMITTED). Casey is in two groups that both give the module; one change takes casey out
// of the first while another takes the module from the second (or casey out of it, or
// deletes it, or the identity provider's group claim drops the first). Each change alone
// leaves casey the other group, so each asks "may casey still use it?" and, unless they
// take turns, both heard yes from what was committed: neither ended casey's tokens, which
// introspection kept calling active, and the module was never told. Group changes that
// may take access away take turns on the company's row (lockAccessDecisions,
// src/modules/access.ts), so the second decides on what the first committed.
//
// The moment is held open without sleeping: another connection locks the audit table,
// which each change writes after its decision, so the first change stops there
// uncommitted; the second is started and the test waits until it too is waiting on a lock
// (at the audit table, or, taking turns, at the company's row), then lets both go on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { replaceMembershipsByGroupNames } from '../../src/groups/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { isPostgresReachable } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { client, companyUser, companyWithRootMaster, grantedModule, signInToModule, type Person } from '../helpers/oidc.ts';
import { holdLocks } from '../helpers/pg-lock-holder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

type Receiver = Awaited<ReturnType<typeof startBackchannelReceiver>>;
interface Group {
  id: string;
}
interface Setting {
  root: Person;
  caseyId: string;
  one: Group;
  two: Group;
}
type Change = (s: Setting) => Promise<{ status: number; body?: unknown }>;

const reachable = await isPostgresReachable();

describe('two group changes at once that take a module from a user end its tokens and tell the module (PostgreSQL)', { skip: !reachable }, () => {
  let server: TestServer;
  let operator: Agent;
  let receiver: Receiver;
  before(async () => {
    receiver = await startBackchannelReceiver();
    server = await startTestServer({ engine: 'postgres', realClock: true });
    operator = (await signedInOperator(server)).agent;
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  const removeFrom = (group: keyof Pick<Setting, 'one' | 'two'>): Change => (s) => s.root.agent.post(`/api/company/groups/${s[group].id}/members/${s.caseyId}/remove`);
  const dropModulesOf = (group: keyof Pick<Setting, 'one' | 'two'>): Change => (s) => s.root.agent.post(`/api/company/groups/${s[group].id}/modules`, { moduleIds: [] });
  const deleteGroup = (group: keyof Pick<Setting, 'one' | 'two'>): Change => (s) => s.root.agent.post(`/api/company/groups/${s[group].id}/delete`);
  /** The identity provider's group claim at a sign-in names only Two: casey leaves One. */
  const providerKeepsOnlyTwo: Change = async (s) => {
    const { deps } = server.gatehouse;
    await deps.db.transaction().execute((tx) => replaceMembershipsByGroupNames(tx, Date.now(), s.root.companyId, s.caseyId, ['Two']));
    return { status: 200 };
  };

  const PAIRS: { name: string; first: Change; second: Change }[] = [
    { name: 'casey leaves One while Two drops the module', first: removeFrom('one'), second: dropModulesOf('two') },
    { name: 'casey leaves One while casey leaves Two', first: removeFrom('one'), second: removeFrom('two') },
    { name: 'One is deleted while casey leaves Two', first: deleteGroup('one'), second: removeFrom('two') },
    { name: "the identity provider's claim takes casey out of One while Two drops the module", first: providerKeepsOnlyTwo, second: dropModulesOf('two') },
  ];

  let companies = 0;
  for (const pair of PAIRS) {
    test(pair.name, async () => {
      companies += 1;
      const path = `/race-${companies}/backchannel`;
      const root = await companyWithRootMaster(server, operator, `Race ${companies}`);
      const module = await grantedModule(server, operator, root.companyId, { name: `Chat ${companies}`, backchannelLogoutUri: receiver.url(path) });
      const casey = await companyUser(server, root, 'casey');
      const caseyId = (await casey.agent.get('/api/me')).body.user.id as string;
      const post = async (to: string, body: unknown = {}) => {
        const answer = await root.agent.post(to, body);
        assert.ok(answer.status < 300, `${to}: ${answer.status} ${JSON.stringify(answer.body)}`);
        return answer.body;
      };
      // A third group keeps the module closed to the company whatever One and Two become.
      const [one, two, keepers] = [(await post('/api/company/groups', { name: 'One' })).group, (await post('/api/company/groups', { name: 'Two' })).group, (await post('/api/company/groups', { name: 'Keepers' })).group];
      for (const group of [one, two, keepers]) await post(`/api/company/groups/${group.id}/modules`, { moduleIds: [module.module.id] });
      for (const group of [one, two]) await post(`/api/company/groups/${group.id}/members`, { userId: caseyId });
      const s: Setting = { root, caseyId, one, two };
      const { tokens, claims } = await signInToModule(module.config, casey.agent, { scope: 'openid offline_access' });

      const holder = await holdLocks(server.database.url);
      try {
        await holder.query('LOCK TABLE audit_events IN EXCLUSIVE MODE');
        const first = pair.first(s);
        await until(async () => (await holder.lockWaiters()) >= 1, 'the first change held before it commits');
        const second = pair.second(s);
        await until(async () => (await holder.lockWaiters()) >= 2, 'the second change waiting on a lock too');
        await holder.release();
        for (const answer of [await first, await second]) assert.ok(answer.status < 300, `a change answered ${answer.status} ${JSON.stringify(answer.body)}`);
      } finally {
        await holder.close();
      }

      // Casey is in no group that gives the module now; the module sees access ended.
      assert.deepEqual((await casey.agent.get('/api/modules')).body.modules, [], 'the launcher lists nothing');
      assert.equal((await client.tokenIntrospection(module.config, tokens.access_token)).active, false, 'the access token is inactive');
      assert.equal((await client.tokenIntrospection(module.config, tokens.refresh_token as string)).active, false, 'the refresh token is inactive');
      await assert.rejects(client.refreshTokenGrant(module.config, tokens.refresh_token as string), (error: any) => {
        assert.equal(error.error, 'invalid_grant');
        return true;
      });
      const notice = await receiver.waitFor((n) => n.path === path && n.payload.sid === claims.sid, 'the logout notice');
      assert.equal(notice.payload.sub, claims.sub);
    });
  }
});
