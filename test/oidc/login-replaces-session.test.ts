// A login in a browser that still holds a session ends that session (a fresh session id at
// every login: src/http/signed-in-answer.ts, the one place every way of finishing a login
// sets its session). Another person's session (a shared computer's next technician) ends as
// Log Out ends one: the modules it was signed in to are told (back-channel logout), and the
// trail says why (session.ended, replaced_by_login); it used to be a bare delete, so the
// module's own session for the previous person went on. The same person logging in again (a
// module's prompt=login or max_age asks for that) is not logged out of the module signing
// them in. A module told a sid had logged out never gets that sid again: the previous
// person back on that browser signs in to it under a new one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyUser, companyWithRootMaster, grantedModule, logInAgain, signInToModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('a login over an earlier session in the same browser ends that session as Log Out would', () => {
  let server: TestServer;
  let operator: Agent;
  let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
  before(async () => {
    receiver = await startBackchannelReceiver();
    server = await startTestServer({ realClock: true });
    operator = (await signedInOperator(server)).agent;
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  test("the next person's login on a shared browser: the module the previous person used is told", async () => {
    const path = '/shared-browser/backchannel';
    const root = await companyWithRootMaster(server, operator);
    const module = await grantedModule(server, operator, root.companyId, { name: 'Shared Bench Module', backchannelLogoutUri: receiver.url(path) });
    const first = await companyUser(server, root, 'firstshift');
    const second = await companyUser(server, root, 'secondshift');
    // The first technician signs in to the module on the bench browser and walks away.
    const signedIn = await signInToModule(module.config, first.agent, { scope: 'openid offline_access' });
    const bench = first.agent;
    // The next technician logs in on the same browser: the first one's session is ended.
    await logInAgain(server, bench, second);
    assert.equal((await bench.get('/api/me')).body.user.username, 'secondshift');
    const notice = await receiver.waitFor((n) => n.path === path && n.payload.sid === signedIn.claims.sid, 'the replaced session').catch(() => undefined);
    assert.ok(notice, "the module the first technician was signed in to got no back-channel logout when the login ended that session");
  });

  test("the told module never sees its ended sid again: the previous person back on that browser gets a new one", async () => {
    const path = '/sid-reuse/backchannel';
    const root = await companyWithRootMaster(server, operator);
    const module = await grantedModule(server, operator, root.companyId, { name: 'Sid Reuse Module', backchannelLogoutUri: receiver.url(path) });
    const first = await companyUser(server, root, 'morning');
    const second = await companyUser(server, root, 'noon');
    const bench = first.agent;
    const before = await signInToModule(module.config, bench);
    await logInAgain(server, bench, second);
    await receiver.waitFor((n) => n.path === path && n.payload.sid === before.claims.sid, 'the replaced session');
    // The first technician comes back to the bench and signs in to the module again.
    await logInAgain(server, bench, first);
    const again = await signInToModule(module.config, bench);
    assert.equal(again.claims.sub, before.claims.sub);
    assert.notEqual(again.claims.sid, before.claims.sid, 'the module was told this sid had logged out: a sign-in under it again would be refused there, or revive what it ended');
  });

  test("the same person logging in again in that browser: no logout notice, their module sign-in goes on", async () => {
    const path = '/same-person/backchannel';
    const root = await companyWithRootMaster(server, operator);
    const module = await grantedModule(server, operator, root.companyId, { name: 'Same Person Module', backchannelLogoutUri: receiver.url(path) });
    const person = await companyUser(server, root, 'again');
    await signInToModule(module.config, person.agent);
    await logInAgain(server, person.agent, person);
    const next = await signInToModule(module.config, person.agent);
    assert.ok(next.tokens.access_token, 'signed in to the module again');
    // A marker: a Log Out now tells the module; nothing came for the replaced session before it.
    assert.equal((await person.agent.post('/api/logout')).status, 200);
    await receiver.waitFor((n) => n.path === path, 'the Log Out');
    assert.equal(receiver.received.filter((n) => n.path === path).length, 1, 'one notice, for the Log Out, none for the login again');
  });

  test("the replaced session's end is in the trail, with why", async () => {
    const root = await companyWithRootMaster(server, operator);
    const first = await companyUser(server, root, 'earlier');
    const second = await companyUser(server, root, 'later');
    await logInAgain(server, first.agent, second);
    const ended = await server.gatehouse.deps.db.selectFrom('audit_events').select(['actor_id', 'detail']).where('action', '=', 'session.ended').where('company_id', '=', root.companyId).execute();
    const user = await server.gatehouse.deps.db.selectFrom('users').select('id').where('username', '=', 'earlier').where('company_id', '=', root.companyId).executeTakeFirstOrThrow();
    assert.deepEqual(ended.map((e) => [e.actor_id, JSON.parse(String(e.detail)).reason]), [[user.id, 'replaced_by_login']]);
  });
});
