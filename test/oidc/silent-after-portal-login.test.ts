// A module's silent sign-in (prompt=none) from a browser that logged in at the Gatehouse
// portal only, never through a module: while the Gatehouse session lives, the module
// gets its code, for every way a module can send the request (a link, a pushed request),
// and without a page. Everything that refuses a silent sign-in from a
// browser that did sign in through a module still refuses it here, with login_required:
// no session, an ended one, a module the user may not use, max_age, acr_values asking for
// a key, an id_token_hint of someone else.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import {
  client,
  companyUser,
  discover,
  followRedirects,
  grantedModule,
  redeem,
  REDIRECT_URI,
  registerTestModule,
  rootWithGrantedModule,
  signInToModule,
  startAuthorization,
  type AuthorizationStart,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let operator: Agent;
let root: Person;
let module: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  const started = await rootWithGrantedModule(server);
  ({ root, module } = started);
  operator = started.operator.agent;
});
after(() => server.close());

/** A person logged in at the portal only: a fresh user of the company, in a fresh browser. */
let people = 0;
async function portalOnly(): Promise<Person> {
  people += 1;
  return companyUser(server, root, `portal${people}`);
}

/** Where a silent sign-in ends: the module's redirect URI, never a page in between. */
async function silently(agent: Agent, start: AuthorizationStart, first?: URL) {
  const walk = await followRedirects(agent, first ?? start.url);
  const callback = walk.callback ?? assert.fail(`a silent sign-in showed a page: ${walk.at} answered ${walk.final?.status}`);
  assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI);
  assert.equal(callback.searchParams.get('state'), start.state);
  return callback;
}

async function silentCode(person: Person, start: AuthorizationStart, first?: URL) {
  const callback = await silently(person.agent, start, first);
  assert.equal(callback.searchParams.get('error'), null, `error=${callback.searchParams.get('error')}: ${callback.searchParams.get('error_description')}`);
  const tokens = await redeem(module.config, callback, start);
  assert.equal(tokens.claims()?.preferred_username, person.username);
  return tokens;
}

async function silentError(agent: Agent, extra: Record<string, string> = {}, config = module.config) {
  const start = await startAuthorization(config, { prompt: 'none', ...extra });
  const callback = await silently(agent, start);
  assert.equal(callback.searchParams.get('code'), null, 'never a code');
  return callback.searchParams.get('error');
}

describe('a silent sign-in from a browser logged in at the portal only', () => {
  test('by a link: the module gets a code, and the tokens are the user of the live session', async () => {
    const person = await portalOnly();
    const tokens = await silentCode(person, await startAuthorization(module.config, { prompt: 'none' }));
    const me = await person.agent.get('/api/me');
    assert.equal(tokens.claims()?.auth_time, Math.floor(Date.parse(me.body.session.authTime) / 1000), 'auth_time is the portal login');
    // The module's access token works, and ends with the Gatehouse session (Log Out).
    const info = await client.fetchUserInfo(module.config, tokens.access_token, client.skipSubjectCheck);
    assert.equal(info.preferred_username, person.username);
    assert.equal((await person.agent.post('/api/logout')).status, 200);
    await assert.rejects(client.fetchUserInfo(module.config, tokens.access_token, client.skipSubjectCheck));
    assert.equal(await silentError(person.agent), 'login_required', 'after Log Out');
  });

  test('by a pushed request (PAR): a code', async () => {
    const person = await portalOnly();
    const pushed = await startAuthorization(module.config, { prompt: 'none' });
    const parUrl = await client.buildAuthorizationUrlWithPAR(module.config, Object.fromEntries(pushed.url.searchParams));
    await silentCode(person, pushed, parUrl);
  });

  test('again and again, from the same browser: a code each time, as after a sign-in through a module', async () => {
    const person = await portalOnly();
    for (let i = 0; i < 3; i += 1) await silentCode(person, await startAuthorization(module.config, { prompt: 'none' }));
    await signInToModule(module.config, person.agent);
    await silentCode(person, await startAuthorization(module.config, { prompt: 'none' }));
  });

  test('without a live Gatehouse session: login_required', async () => {
    assert.equal(await silentError(server.agent()), 'login_required');
  });

  test('a module the company does not have: login_required, and the browser stays able to sign in silently to its own', async () => {
    const person = await portalOnly();
    const notGranted = await registerTestModule(operator, { name: 'Not Granted' });
    const config = await discover(server, notGranted.module.clientId, notGranted.clientSecret);
    assert.equal(await silentError(person.agent, {}, config), 'login_required');
    await silentCode(person, await startAuthorization(module.config, { prompt: 'none' }));
  });

  test('max_age shorter than the session, acr_values asking for a key, an id_token_hint of someone else: login_required', async () => {
    const person = await portalOnly();
    // max_age=0: a login made for this very sign-in, which a silent one cannot make.
    assert.equal(await silentError(person.agent, { max_age: '0' }), 'login_required');
    assert.equal(await silentError(person.agent, { acr_values: 'urn:gatehouse:loa:phishing-resistant' }), 'login_required');
    const { tokens: rootTokens } = await signInToModule(module.config, root.agent);
    assert.equal(await silentError(person.agent, { id_token_hint: rootTokens.id_token as string }), 'login_required');
    // None of these left the browser signed in to the module as anyone else.
    await silentCode(person, await startAuthorization(module.config, { prompt: 'none' }));
  });
});
