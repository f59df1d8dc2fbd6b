// A Master's switch of a module that changes nothing (on when on, off when off) must leave
// no event, as a grant of what is granted, a revoke of what is not and a suspension of a
// suspended company leave none. It left `module.switched_on` / `module.switched_off` every
// time: the trail said a Master switched a module on that was on all along, and a stale
// Company tab or a retried API call added another "switched off". The switch now changes
// only what differs (src/modules/store.ts setModuleEnabled). Found by an audit of access.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, grantedModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let operator: Agent;
let acme: Person;

before(async () => {
  server = await startTestServer({ realClock: true });
  operator = (await signedInOperator(server)).agent;
  acme = await companyWithRootMaster(server, operator, 'Acme Access Audit');
});
after(() => server.close());

test('a switch that changes nothing leaves no module.switched_* event in the trail', async () => {
  const m = await grantedModule(server, operator, acme.companyId, { name: 'Switchy' });
  const events = async () =>
    (
      await server.gatehouse.deps.db
        .selectFrom('audit_events')
        .select('action')
        .where('target', '=', m.module.id)
        .where('action', 'like', 'module.switched%')
        .orderBy('id')
        .execute()
    ).map((r) => r.action);
  const flip = async (enabled: boolean) => {
    const answer = await acme.agent.post(`/api/company/modules/${m.module.id}`, { enabled });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  };
  await flip(true); // a new grant starts on: nothing to switch
  await flip(false);
  await flip(false); // off already
  assert.deepEqual(await events(), ['module.switched_off'], 'only the switch that changed something is recorded');
});
