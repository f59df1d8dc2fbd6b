// prompt=login, max_age=0 and an id_token_hint for someone else are satisfied only by a
// login made for that very sign-in, never by the clock. Gatehouse's clock is pinned a
// little ahead of the provider's, so every login it records looks at least as recent as
// the module's request (the provider counts whole seconds; a login in the same second
// looked like this before): no code may come back without a new login, and the new login
// finishes the sign-in without sending the user round again. A login for an id_token_hint
// by someone other than the hinted person is no answer to it: the module hears
// login_required (OpenID Connect Core 3.1.2.1), never a code for the other person.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import {
  companyUser,
  followRedirects,
  grantedModule,
  jwtParts,
  redeem,
  rootWithGrantedModule,
  signInToModule,
  startAuthorization,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';

let server: TestServer;
let root: Person;
let module: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer();
  server.clock.set(Date.now() + 10 * 60_000);
  ({ root, module } = await rootWithGrantedModule(server));
});
after(() => server.close());

/** Starts a sign-in; it must stop at Gatehouse's login page. Returns where login returns to. */
async function sentToLogin(agent: Agent, extra: Record<string, string>) {
  const start = await startAuthorization(module.config, extra);
  const walk = await followRedirects(agent, start.url);
  assert.equal(walk.callback?.searchParams.get('code') ?? null, null, `${JSON.stringify(extra)}: a code came back without a new login`);
  assert.equal(walk.at?.pathname, '/login', `sent to the login page, not ${walk.at}`);
  const returnTo = walk.at.searchParams.get('return') ?? '';
  assert.match(returnTo, /^\/oidc\/auth\/[A-Za-z0-9_-]+$/);
  return { start, returnTo };
}

/** A full login (password and the current TOTP step, the clock not moved) made for returnTo. */
async function logInFor(agent: Agent, person: Person, returnTo: string) {
  const identified = await agent.post('/api/login/identify', { username: person.username, companyName: person.companyName, returnTo });
  assert.equal(identified.status, 200, JSON.stringify(identified.body));
  assert.equal((await agent.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');
  const done = await agent.post('/api/login/totp', { code: totpAt(person.totpSecret, server.clock()) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.redirectTo, returnTo);
}

/**
 * Back at the interaction after the login: the module gets its code at once. A page that
 * submits its form by itself is submitted, as a browser does (the provider ends its
 * session of the previous account that way when the login was another account's).
 */
async function finish(agent: Agent, sent: Awaited<ReturnType<typeof sentToLogin>>) {
  let walk = await followRedirects(agent, sent.returnTo);
  const page = String(walk.final?.body ?? '');
  if (walk.final?.status === 200 && /document\.forms\[0\]\.submit\(\)/.test(page)) {
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(page)?.[1] ?? '');
    const fields = [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], m[2]] as [string, string]);
    const posted = await agent.request('POST', action.pathname, new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(posted.status, 303);
    walk = await followRedirects(agent, posted.headers.get('location') as string);
  }
  assert.ok(walk.callback?.searchParams.get("code") && walk.callback, `the login finished the sign-in (ended at ${walk.at} with ${walk.final?.status} ${String(walk.final?.body).slice(0, 2000)})`);
  return (await redeem(module.config, walk.callback, sent.start)).claims() as Record<string, unknown>;
}

test('prompt=login and max_age=0 need a login made for the request, and that login is enough', async () => {
  const cases: Record<string, string>[] = [{ prompt: 'login' }, { max_age: '0' }, { prompt: 'login', max_age: '0' }];
  for (const extra of cases) {
    const person = await companyUser(server, root, `fresh${Object.keys(extra).join('')}${Math.random().toString(36).slice(2, 6)}`);
    const before = await signInToModule(module.config, person.agent);
    const sent = await sentToLogin(person.agent, extra);
    await logInFor(person.agent, person, sent.returnTo);
    const claims = await finish(person.agent, sent);
    assert.equal(claims.sub, before.claims.sub);
    assert.equal(claims.auth_time, Math.floor(server.clock() / 1000), 'auth_time is the new login');
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
  }
});

test('a login made for another sign-in does not satisfy this one', async () => {
  const person = await companyUser(server, root, 'twin');
  await signInToModule(module.config, person.agent);
  const sent = await sentToLogin(person.agent, { prompt: 'login' });
  const elsewhere = `/oidc/auth/${'x'.repeat(43)}`;
  await logInFor(person.agent, person, elsewhere);
  const answer = await person.agent.get(sent.returnTo);
  assert.equal(answer.status, 303);
  // Signed in, with a session that will not do: the login page is told not to go on with it.
  assert.equal(answer.headers.get('location'), `/login?return=${encodeURIComponent(sent.returnTo)}&again=1`);
});

test("an id_token_hint for someone else needs that person's login", async () => {
  const signedIn = await companyUser(server, root, 'hinta');
  const hinted = await companyUser(server, root, 'hintb');
  const hint = (await signInToModule(module.config, hinted.agent)).tokens.id_token as string;
  await signInToModule(module.config, signedIn.agent);

  const sent = await sentToLogin(signedIn.agent, { id_token_hint: hint });
  await logInFor(signedIn.agent, hinted, sent.returnTo);
  const claims = await finish(signedIn.agent, sent);
  assert.equal(claims.preferred_username, 'hintb');
  const me = await signedIn.agent.get('/api/me');
  assert.equal(me.status, 200, 'the browser is signed in to Gatehouse as the hinted user');
  assert.equal(JSON.stringify(me.body).includes('hintb'), true);
});

test("an id_token_hint for someone else, answered by a login as the browser's own user, tells the module login_required", async () => {
  const signedIn = await companyUser(server, root, 'hintc');
  const hinted = await companyUser(server, root, 'hintd');
  const hint = (await signInToModule(module.config, hinted.agent)).tokens.id_token as string;
  const before = await signInToModule(module.config, signedIn.agent);
  assert.notEqual(before.claims.sub, jwtParts(hint).payload.sub);

  const sent = await sentToLogin(signedIn.agent, { id_token_hint: hint });
  // The person at this browser logs in again, as themselves, for this very sign-in.
  await logInFor(signedIn.agent, signedIn, sent.returnTo);
  const walk = await followRedirects(signedIn.agent, sent.returnTo);
  const callback = walk.callback ?? assert.fail(`back at the module with an answer, not at ${walk.at}`);
  assert.equal(callback.searchParams.get('code'), null, 'no code for the person who was not hinted');
  assert.equal(callback.searchParams.get('error'), 'login_required');
  assert.equal(callback.searchParams.get('state'), sent.start.state);
});
