// When a module's sign-in needs a login, it is Gatehouse's full login: password and TOTP.
// prompt=login and max_age force one even with a live session; no session, or a login
// stopped before the second factor, never reaches the module; Gatehouse logout ends
// silent sign-in.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import {
  companyUser,
  followRedirects,
  grantedModule,
  logInAgain,
  redeem,
  rootWithGrantedModule,
  signInToModule,
  startAuthorization,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createUser, issueSignupLink } from '../../src/users/index.ts';

let server: TestServer;
let root: Person;
let module: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ root, module } = await rootWithGrantedModule(server));
});
after(() => server.close());

/** Starts a sign-in and expects Gatehouse's login page; returns where login will return. */
async function sentToLogin(agent: Agent, extra: Record<string, string> = {}) {
  const start = await startAuthorization(module.config, extra);
  const walk = await followRedirects(agent, start.url);
  assert.equal(walk.callback, undefined, `no code without a login (got ${walk.callback})`);
  assert.ok(walk.at);
  assert.equal(walk.at.pathname, '/login', `sent to the login page, not ${walk.at}`);
  const returnTo = walk.at.searchParams.get('return') ?? '';
  assert.match(returnTo, /^\/oidc\/auth\/[A-Za-z0-9_-]+$/);
  return { start, returnTo };
}

/** The login answered with redirectTo: following it finishes the module's sign-in. */
async function finishAfterLogin(agent: Agent, login: { redirectTo?: string }, sent: Awaited<ReturnType<typeof sentToLogin>>) {
  assert.equal(login.redirectTo, sent.returnTo, 'the login sends the browser back to the interaction');
  const walk = await followRedirects(agent, login.redirectTo as string);
  assert.ok(walk.callback, `back at the module (ended at ${walk.at} with ${walk.final?.status})`);
  const tokens = await redeem(module.config, walk.callback, sent.start);
  return tokens.claims() as NonNullable<ReturnType<typeof tokens.claims>>;
}

/**
 * Sent back to the login page for this sign-in; a signed-in browser whose session will not
 * do is marked so (again=1: the page must not go on with that session).
 */
async function assertStillSentToLogin(agent: Agent, returnTo: string, signedIn = true) {
  const answer = await agent.get(returnTo);
  assert.equal(answer.status, 303);
  assert.equal(answer.headers.get('location'), `/login?return=${encodeURIComponent(returnTo)}${signedIn ? '&again=1' : ''}`);
}

test('prompt=login makes a signed-in user log in again, TOTP included; auth_time moves on', async () => {
  const person = await companyUser(server, root, 'pat');
  const before = await signInToModule(module.config, person.agent);
  await sleep(1100); // auth_time counts whole seconds

  const sent = await sentToLogin(person.agent, { prompt: 'login' });
  // The password alone does not finish the interaction.
  const identified = await person.agent.post('/api/login/identify', { username: person.username, companyName: person.companyName, returnTo: sent.returnTo });
  assert.equal(identified.status, 200);
  const afterPassword = await person.agent.post('/api/login/password', { password: STRONG_PASSWORD });
  assert.equal(afterPassword.body.step, 'totp');
  await assertStillSentToLogin(person.agent, sent.returnTo);

  const claims = await finishAfterLogin(person.agent, await logInAgain(server, person.agent, person, sent.returnTo), sent);
  assert.equal(claims.sub, before.claims.sub);
  assert.ok((claims.auth_time as number) > (before.claims.auth_time as number), `auth_time ${claims.auth_time} after ${before.claims.auth_time}`);
  assert.deepEqual(claims.amr, ['pwd', 'otp']);
  assert.equal(claims.acr, 'urn:gatehouse:loa:2fa');
});

test('max_age=0 forces a full login even right after one', async () => {
  const person = await companyUser(server, root, 'max');
  const before = await signInToModule(module.config, person.agent);
  await sleep(1100);
  const sent = await sentToLogin(person.agent, { max_age: '0' });
  const claims = await finishAfterLogin(person.agent, await logInAgain(server, person.agent, person, sent.returnTo), sent);
  assert.ok((claims.auth_time as number) > (before.claims.auth_time as number));
  assert.deepEqual(claims.amr, ['pwd', 'otp']);
});

test('a small max_age forces a login once the session is older; a generous one does not', async () => {
  const person = await companyUser(server, root, 'morgan');
  const generous = await signInToModule(module.config, person.agent, { max_age: '3600' });
  await sleep(2100);
  const silent = await signInToModule(module.config, person.agent, { max_age: '3600' });
  assert.equal(silent.claims.auth_time, generous.claims.auth_time, 'no new login within max_age');

  const sent = await sentToLogin(person.agent, { max_age: '1' });
  const claims = await finishAfterLogin(person.agent, await logInAgain(server, person.agent, person, sent.returnTo), sent);
  assert.ok((claims.auth_time as number) > (generous.claims.auth_time as number));
  assert.ok(Date.now() / 1000 - (claims.auth_time as number) < 5, 'the login is the one just made');
});

test('a login made for the request satisfies max_age even when the browser is slow to come back', async () => {
  const person = await companyUser(server, root, 'sol');
  await sleep(1100);
  const sent = await sentToLogin(person.agent, { max_age: '1' });
  const login = await logInAgain(server, person.agent, person, sent.returnTo);
  await sleep(1500); // a slow network or a slow user between the TOTP step and the redirect
  const claims = await finishAfterLogin(person.agent, login, sent);
  assert.equal(claims.preferred_username, 'sol');
});

test('without a Gatehouse session the sign-in goes to the login page, and comes back after it', async () => {
  const person = await companyUser(server, root, 'nova');
  const browser = server.agent();
  const sent = await sentToLogin(browser);
  const claims = await finishAfterLogin(browser, await logInAgain(server, browser, person, sent.returnTo), sent);
  assert.equal(claims.preferred_username, 'nova');
  assert.deepEqual(claims.amr, ['pwd', 'otp']);
});

test('a login stopped before the second factor never reaches the module', async () => {
  // An enrolled user who gave the right password but no code.
  const person = await companyUser(server, root, 'quinn');
  const browser = server.agent();
  const sent = await sentToLogin(browser);
  await browser.post('/api/login/identify', { username: person.username, companyName: person.companyName, returnTo: sent.returnTo });
  const afterPassword = await browser.post('/api/login/password', { password: STRONG_PASSWORD });
  assert.equal(afterPassword.body.step, 'totp');
  assert.deepEqual([...browser.cookies.keys()].filter((name) => name.includes('session') && !name.startsWith('_')), [], 'no session cookie yet');
  await assertStillSentToLogin(browser, sent.returnTo, false);
  await sentToLogin(browser);

  // A user who has not enrolled 2FA yet: the password leads to enrollment, not to the module.
  const { db } = server.gatehouse.deps;
  const newcomer = await createUser(db, root.companyId, { username: 'rookie', email: 'rookie@users.test', displayName: 'Rookie', role: 'user' }, Date.now());
  const link = await issueSignupLink(db, root.companyId, newcomer.id, Date.now(), 3_600_000);
  const signedUp = await server.agent().post('/api/signup', { token: link.token, password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
  assert.equal(signedUp.status, 200);
  const fresh = server.agent();
  const pending = await sentToLogin(fresh);
  await fresh.post('/api/login/identify', { username: 'rookie', companyName: root.companyName, returnTo: pending.returnTo });
  assert.equal((await fresh.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'enroll');
  assert.equal((await fresh.post('/api/login/enroll/start')).status, 200);
  await assertStillSentToLogin(fresh, pending.returnTo, false);
});

test('after Gatehouse logout, the next module sign-in needs a login again', async () => {
  const person = await companyUser(server, root, 'remy');
  await signInToModule(module.config, person.agent);
  await signInToModule(module.config, person.agent); // silent while the session lives

  const loggedOut = await person.agent.post('/api/logout');
  assert.equal(loggedOut.status, 200);
  assert.equal((await person.agent.get('/api/me')).status, 401);
  await sentToLogin(person.agent);

  // A module asking for silent sign-in hears login_required, with no code.
  const start = await startAuthorization(module.config, { prompt: 'none' });
  const walk = await followRedirects(person.agent, start.url);
  assert.ok(walk.callback, `the module hears back (ended at ${walk.at})`);
  assert.equal(walk.callback.searchParams.get('code'), null);
  assert.equal(walk.callback.searchParams.get('error'), 'login_required');
});
