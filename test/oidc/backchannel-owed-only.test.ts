// A logout notice (a signed token naming the user) goes only to a module whose sign-in is
// in force, once. A module the user may not open (never granted to the company) once got
// one at the user's next logout, for a silent sign-in it had merely bounced the browser
// through (refused, login_required): the refused sign-in had bound a grant to the session.
// And a module whose access had already ended (switched off, and told so) was told again
// when the user later logged out through another module. Counted in the outbox, which
// the logout fills in its own transaction: nothing here waits for time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { signedInOperator } from '../helpers/journey.ts';
import {
  answerLogoutPage,
  companyUser,
  companyWithRootMaster,
  discover,
  followRedirects,
  grantedModule,
  POST_LOGOUT_URI,
  registerTestModule,
  signInToModule,
  startAuthorization,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('logout notices go only to modules whose sign-in is in force', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
  let root: Person;
  let ticketing: Awaited<ReturnType<typeof grantedModule>>;
  let billing: Awaited<ReturnType<typeof grantedModule>>;
  let foreign: Awaited<ReturnType<typeof registerTestModule>>;

  before(async () => {
    receiver = await startBackchannelReceiver();
    server = await startTestServer({ realClock: true });
    const operator = await signedInOperator(server);
    root = await companyWithRootMaster(server, operator.agent);
    ticketing = await grantedModule(server, operator.agent, root.companyId, { name: 'Ticketing', backchannelLogoutUri: receiver.url('/ticketing') });
    billing = await grantedModule(server, operator.agent, root.companyId, { name: 'Billing', backchannelLogoutUri: receiver.url('/billing') });
    // Registered, never granted to the company.
    foreign = await registerTestModule(operator.agent, { name: 'Foreign', backchannelLogoutUri: receiver.url('/foreign') });
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  const noticesFor = async (clientId: string) =>
    (await server.gatehouse.deps.db.selectFrom('backchannel_outbox').select(['account_id', 'sid']).where('client_id', '=', clientId).execute()).length;

  async function confirmLogout(agent: Agent, idToken: string) {
    const page = await agent.get(`/oidc/session/end?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT_URI, state: 's' })}`, { accept: 'text/html' });
    assert.equal(page.status, 200);
    assert.equal((await answerLogoutPage(agent, String(page.body), { logout: 'yes' })).status, 303);
  }

  test('a module the company was never granted, refused a silent sign-in, is told nothing at logout', async () => {
    const person = await companyUser(server, root, 'erin');
    const { claims } = await signInToModule(ticketing.config, person.agent);
    const start = await startAuthorization(await discover(server, foreign.module.clientId, foreign.clientSecret), { prompt: 'none' });
    const walk = await followRedirects(person.agent, start.url);
    assert.equal(walk.callback?.searchParams.get('error'), 'login_required');
    assert.equal((await person.agent.post('/api/logout')).status, 200);
    await receiver.waitFor((n) => n.path === '/ticketing' && n.payload.sub === claims.sub, 'Ticketing is told');
    assert.equal(await noticesFor(foreign.module.clientId), 0);
  });

  test('a module whose access already ended, and was told, is not told again at a later logout', async () => {
    const person = await companyUser(server, root, 'dora');
    const t = await signInToModule(ticketing.config, person.agent);
    const b = await signInToModule(billing.config, person.agent);
    const before = await noticesFor(billing.module.clientId);
    assert.equal((await root.agent.post(`/api/company/modules/${billing.module.id}`, { enabled: false })).status, 200);
    await receiver.waitFor((n) => n.path === '/billing' && n.payload.sid === b.claims.sid, 'Billing told once, when switched off');
    await confirmLogout(person.agent, t.tokens.id_token as string);
    await receiver.waitFor((n) => n.path === '/ticketing' && n.payload.sid === t.claims.sid, 'Ticketing told at the logout');
    assert.equal(await noticesFor(billing.module.clientId), before + 1);
  });
});
