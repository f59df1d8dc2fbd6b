// Where a module's sign-in sends the browser first. One with no Gatehouse session goes
// straight to the login page (a redirect fewer: the resume's gate could only have sent it
// there); one that presents a session cookie, good or not, goes to the resume, whose gate
// alone decides whether that session will do. Either way nobody gets a code without
// a login the session stands for.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyUser, followRedirects, logInAgain, REDIRECT_URI, redeem, rootWithGrantedModule, signedUpUser, startAuthorization, type grantedModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { totpAt } from '../helpers/totp.ts';

const SESSION_COOKIE = 'gh_session';

let server: TestServer;
let root: Person;
let module: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ root, module } = await rootWithGrantedModule(server));
});
after(() => server.close());

/** The module's authorization request, answered once (not followed). */
async function authorize(agent: Agent, extra: Record<string, string> = {}) {
  const start = await startAuthorization(module.config, extra);
  const answer = await agent.get(start.url.pathname + start.url.search);
  assert.equal(answer.status, 303, `the authorization answered ${answer.status}`);
  return { start, next: new URL(answer.headers.get('location') ?? '', start.url) };
}

test('a browser with no Gatehouse session is sent straight to the login page, and the login made there finishes the sign-in', async () => {
  const browser = server.agent();
  const { start, next } = await authorize(browser);
  assert.equal(next.pathname, '/login', `one redirect to the login page, not to ${next.pathname}`);
  const returnTo = next.searchParams.get('return') ?? '';
  assert.match(returnTo, /^\/oidc\/auth\/[A-Za-z0-9_-]+$/, 'it returns to the sign-in it came for');
  assert.equal(next.searchParams.get('need'), null, 'no key asked for: nobody is signed in to step up');

  const done = await logInAgain(server, browser, root, returnTo);
  assert.equal(done.redirectTo, returnTo);
  const walk = await followRedirects(browser, new URL(returnTo, server.baseUrl));
  const callback = walk.callback ?? assert.fail(`no answer to the module after the login: ended at ${walk.at} with ${walk.final?.status}`);
  assert.ok(callback.searchParams.get('code'), 'a code after the login');
  const tokens = await redeem(module.config, callback, start);
  assert.equal(tokens.claims()?.preferred_username, root.username);
});

test("a user's first login, begun at a module: the 2FA enrollment's Done goes back to the module", async () => {
  await signedUpUser(server, root, 'newcomer');

  const browser = server.agent();
  const { start, next } = await authorize(browser);
  const returnTo = next.searchParams.get('return') ?? assert.fail('sent to the login page');
  const identified = await browser.post('/api/login/identify', { username: 'newcomer', companyName: root.companyName, returnTo });
  assert.equal(identified.status, 200);
  assert.equal((await browser.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'enroll', 'Your Security Matters first');
  const enrollment = await browser.post('/api/login/enroll/start');
  const done = await browser.post('/api/login/enroll/verify', { code: totpAt(enrollment.body.secret, Date.now()) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.redirectTo, returnTo, "Done goes back to the module's sign-in");
  const walk = await followRedirects(browser, new URL(returnTo, server.baseUrl));
  const callback = walk.callback ?? assert.fail(`no answer to the module: ended at ${walk.at} with ${walk.final?.status}`);
  const tokens = await redeem(module.config, callback, start);
  assert.equal(tokens.claims()?.preferred_username, 'newcomer');
  assert.ok((tokens.claims()?.amr as string[]).includes('otp'), 'signed in with the second factor');
});

test('a session cookie that is no live session is sent to the resume, whose gate sends it to the login page without a code', async () => {
  const leaver = await companyUser(server, root, 'leaver');
  const ended = leaver.agent.cookies.get(SESSION_COOKIE) ?? assert.fail('signed in');
  assert.equal((await leaver.agent.post('/api/logout')).status, 200, 'logged out');
  const cookies: Array<[string, string]> = [
    ['a session that has ended', ended],
    ['a made-up token of the right shape', randomBytes(32).toString('base64url')],
  ];
  for (const [what, value] of cookies) {
    const browser = server.agent();
    browser.cookies.set(SESSION_COOKIE, value);
    const { next } = await authorize(browser);
    assert.match(next.pathname, /^\/oidc\/auth\//, `${what}: the resume's gate decides`);
    const walk = await followRedirects(browser, next);
    assert.equal(walk.callback, undefined, `${what}: no answer to the module without a login`);
    assert.equal(walk.at?.pathname, '/login', `${what}: ends at the login page, not ${walk.at}`);
    assert.equal(walk.at?.searchParams.get('return'), next.pathname, `${what}: returning to the same sign-in`);
  }
  // A cookie of another shape is no session at all: straight to the login page.
  const garbled = server.agent();
  garbled.cookies.set(SESSION_COOKIE, 'not-a-session');
  assert.equal((await authorize(garbled)).next.pathname, '/login');
});

test('a live session still signs in without a login (single sign-on), straight through the resume', async () => {
  const browser = server.agent();
  browser.cookies.set(SESSION_COOKIE, root.agent.cookies.get(SESSION_COOKIE) ?? assert.fail('signed in'));
  const { start, next } = await authorize(browser);
  assert.match(next.pathname, /^\/oidc\/auth\//);
  const walk = await followRedirects(browser, next);
  const callback = walk.callback ?? assert.fail(`no answer to the module: ended at ${walk.at}`);
  assert.ok(callback.searchParams.get('code'), 'a code for the signed-in user');
  const tokens = await redeem(module.config, callback, start);
  assert.equal(tokens.claims()?.preferred_username, root.username);
});

test('prompt=none without a session answers the module login_required, and does not send the browser to log in', async () => {
  const { next } = await authorize(server.agent(), { prompt: 'none' });
  assert.equal(`${next.origin}${next.pathname}`, REDIRECT_URI, `back to the module, not to ${next}`);
  assert.equal(next.searchParams.get('error'), 'login_required');
});
