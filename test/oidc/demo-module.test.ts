// The Demo Module (examples/demo-module) against a real Gatehouse: a browser (one cookie
// jar per origin, as a browser keeps them) logs in to Gatehouse, opens the demo's /login,
// follows the redirects through Gatehouse back to the demo's /callback and lands on the
// demo's page with the ID token's claims; then logs out through Gatehouse (RP-initiated),
// and is logged out of the demo by Gatehouse (back-channel) when it logs out there. Also
// the development auto-registration (src/dev/demo-module.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDemoModule, type DemoModule } from '../../examples/demo-module/server.ts';
import { DEMO_MODULE, demoModuleWanted, ensureDemoModule } from '../../src/dev/demo-module.ts';
import { companyMayUse, findModuleByClientId } from '../../src/modules/index.ts';
import { getPlatformCompany } from '../../src/companies/index.ts';
import { Agent, type Answer } from '../helpers/agent.ts';
import { ACME_REQUEST, approvedCompany, logIn, signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { client, companyUser, discover, registerTestModule } from '../helpers/oidc.ts';
import { freePort } from '../helpers/net.ts';
import { until } from '../helpers/until.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let operator: Agent;
let company: Awaited<ReturnType<typeof approvedCompany>>;
/** The browser's Gatehouse side, logged in once for all tests. */
let gatehouse: Agent;
const demos: DemoModule[] = [];
const demoLog: string[] = [];

before(async () => {
  server = await startTestServer({ realClock: true });
  operator = (await signedInOperator(server)).agent;
  company = await approvedCompany(server, operator);
  await signUp(server, company.link);
  gatehouse = server.agent();
  await logIn(server, gatehouse, { username: company.username, companyName: ACME_REQUEST.companyName, password: STRONG_PASSWORD });
});
after(async () => {
  for (const demo of demos) await demo.close();
  await server?.close();
});


/** A demo on a free port, registered (by `register`) and granted to the test company. */
async function startDemo(register: (demoUrl: string) => Promise<{ module: { id: string; clientId: string }; clientSecret: string | null }>) {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const registered = await register(url);
  const grant = await operator.post(`/api/operator/companies/${company.companyId}/modules/${registered.module.id}/grant`);
  assert.equal(grant.status, 200, JSON.stringify(grant.body));
  const demo = await startDemoModule({
    issuer: `${server.baseUrl}/oidc`,
    clientId: registered.module.clientId,
    clientSecret: registered.clientSecret ?? undefined,
    port,
    publicUrl: url,
    log: (line) => demoLog.push(line),
  });
  demos.push(demo);
  assert.equal(demo.url, url);
  return { demo, agent: new Agent(url) };
}

/** Follows redirects like a browser, each origin with its own cookie jar. */
async function browse(agents: Agent[], start: string, method: 'GET' | 'POST' = 'GET', body?: string) {
  const jars = new Map(agents.map((agent) => [new URL(agent.baseUrl).origin, agent]));
  let at = new URL(start);
  const visited: string[] = [];
  let answer: Answer<string> | undefined;
  for (let hop = 0; hop < 15; hop++) {
    visited.push(at.href);
    const agent = jars.get(at.origin);
    assert.ok(agent, `the browser went to an unexpected origin: ${at.href} (after ${visited.join(' -> ')})`);
    answer = hop === 0 && method === 'POST'
      ? await agent.request<string>('POST', at.pathname + at.search, body ?? '', { 'content-type': 'application/x-www-form-urlencoded' })
      : await agent.get<string>(at.pathname + at.search);
    const location = answer.headers.get('location');
    if (answer.status < 300 || answer.status >= 400 || !location) return { answer, at, visited };
    at = new URL(location, at);
  }
  throw new Error(`too many redirects: ${visited.join(' -> ')}`);
}

function assertStrictHeaders(answer: Answer) {
  const csp = answer.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.doesNotMatch(csp, /script-src/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
  assert.doesNotMatch(String(answer.body), /<script/i);
}

test('a user signs in to the demo module through Gatehouse and sees the ID token claims', async () => {
  const { demo, agent: demoBrowser } = await startDemo((url) => registerTestModule(operator, { name: 'Demo Module', redirectUris: [`${url}/callback`] }));

  const signedOut = await demoBrowser.get<string>('/');
  assert.equal(signedOut.status, 200);
  assert.match(signedOut.body, /Demo Module/);
  assert.match(signedOut.body, /Log In with Gatehouse/);
  assertStrictHeaders(signedOut);

  // /login: the state, nonce and verifier stay on the server, behind a short-lived cookie.
  const login = await demoBrowser.get('/login');
  assert.equal(login.status, 303);
  const loginCookie = login.setCookies.find((c) => c.startsWith('demo_login='));
  assert.ok(loginCookie);
  assert.match(loginCookie, /HttpOnly/);
  assert.match(loginCookie, /SameSite=Lax/);
  assert.match(loginCookie, /Max-Age=600/);
  const authorize = new URL(login.headers.get('location') ?? '');
  assert.equal(authorize.origin + authorize.pathname, `${server.baseUrl}/oidc/auth`);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorize.searchParams.get('redirect_uri'), `${demo.url}/callback`);
  assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce'));

  const walk = await browse([gatehouse, demoBrowser], authorize.href);
  const callback = walk.visited.find((href) => href.startsWith(`${demo.url}/callback?`));
  assert.ok(callback, `never reached the callback: ${walk.visited.join(' -> ')}`);
  assert.equal(walk.at.href, `${demo.url}/`, `ended at ${walk.at.href}: ${walk.answer.status} ${walk.answer.body.slice(0, 300)}`);
  assert.equal(walk.answer.status, 200);
  assertStrictHeaders(walk.answer);
  const html = walk.answer.body;
  assert.match(html, new RegExp(`Signed in as ${company.username} of ${ACME_REQUEST.companyName}`));
  assert.match(html, /Two-factor authentication: yes\. <code>amr<\/code> includes "otp"/);
  assert.match(html, /<th scope="row">company<\/th><td>\{&#34;id&#34;:&#34;/);
  assert.match(html, /<th scope="row">acr<\/th><td>urn:gatehouse:loa:2fa<\/td>/);
  assert.match(html, /Log Out/);
  assert.ok(!demoBrowser.cookies.has('demo_login'), 'the login cookie is cleared once used');

  // The same callback again: the pending sign-in was used up.
  const replay = await demoBrowser.get<string>(new URL(callback).pathname + new URL(callback).search);
  assert.equal(replay.status, 400);
  assert.match(replay.body, /Sign-in expired/);
  // A fresh browser has no session with the demo.
  assert.match((await new Agent(demo.url).get<string>('/')).body, /Log In with Gatehouse/);
});

test('Log Out ends the demo session and the Gatehouse session, and comes back to the demo', async () => {
  const { demo, agent: demoBrowser } = await startDemo(async (url) => {
    const answer = await operator.post('/api/operator/modules', {
      name: 'Demo Module (logout)',
      description: 'Demo',
      launchUrl: `${url}/login`,
      redirectUris: [`${url}/callback`],
      postLogoutRedirectUris: [`${url}/`],
      clientType: 'confidential',
    });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return answer.body;
  });
  // Already logged in to Gatehouse: single sign-on, straight back to the demo.
  const walk = await browse([gatehouse, demoBrowser], `${demo.url}/login`);
  assert.match(walk.answer.body, /Signed in as/);

  // A cross-site form cannot log the user out, whatever its browser says of it.
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const foreigners: Array<Record<string, string>> = [{ origin: 'https://evil.example' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }, { origin: 'null' }, { origin: 'null', 'sec-fetch-site': 'same-site' }];
  for (const foreign of foreigners) {
    const forged = await demoBrowser.post('/logout', '', { ...form, ...foreign });
    assert.equal(forged.status, 403, JSON.stringify(foreign));
  }
  // A browser that sends "Origin: null" from the demo's own page (a no-referrer page) says
  // same-origin in its Fetch Metadata: that one is let through (a fresh browser with no
  // demo session: straight back to the demo's home page).
  const ownPage = await new Agent(demo.url).post('/logout', '', { ...form, origin: 'null', 'sec-fetch-site': 'same-origin' });
  assert.equal(ownPage.status, 303, 'Origin: null with Sec-Fetch-Site: same-origin is the demo itself');
  assert.equal(ownPage.headers.get('location'), '/');
  // The demo's own page posts its Log Out form with its Origin: a page whose policy is
  // no-referrer would make a browser send "Origin: null" on it.
  const home = await demoBrowser.get('/');
  assert.notEqual(home.headers.get('referrer-policy'), 'no-referrer', 'a same-origin form keeps its Origin header');

  const out = await browse([gatehouse, demoBrowser], `${demo.url}/logout`, 'POST');
  const endSession = out.visited.find((href) => href.startsWith(`${server.baseUrl}/oidc/session/end`));
  assert.ok(endSession, `no end_session: ${out.visited.join(' -> ')}`);
  const endUrl = new URL(endSession);
  assert.ok(endUrl.searchParams.get('id_token_hint'));
  assert.equal(endUrl.searchParams.get('post_logout_redirect_uri'), `${demo.url}/`);
  assert.ok(!demoBrowser.cookies.has('demo_session'), 'the demo cleared its session cookie');

  // Gatehouse asks for confirmation with a form of its own.
  assert.equal(out.answer.status, 200, out.answer.body.slice(0, 300));
  const action = /<form[^>]*action="([^"]+)"/.exec(out.answer.body)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(out.answer.body)?.[1];
  assert.ok(action && xsrf, out.answer.body.slice(0, 500));
  const confirmed = await browse(
    [gatehouse, demoBrowser],
    new URL(action, server.baseUrl).href,
    'POST',
    new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  );
  assert.equal(confirmed.at.href, `${demo.url}/`, confirmed.visited.join(' -> '));
  assert.match(confirmed.answer.body, /Log In with Gatehouse/);
  assert.equal((await gatehouse.get('/api/me')).status, 401, 'the Gatehouse session ended too');
});

test('development auto-registration: registered once, granted to the platform, a new secret each start', async () => {
  const deps = server.gatehouse.deps;
  // The test server is the embedded default's shape: SQLite on http://localhost.
  assert.equal(demoModuleWanted(deps, {}), true);
  assert.equal(demoModuleWanted(deps, { GATEHOUSE_DEMO_MODULE: 'off' }), false);
  assert.equal(demoModuleWanted(deps, { NODE_ENV: 'production' }), false);
  const elsewhere = (patch: object) => ({ config: { ...deps.config, ...patch } });
  assert.equal(demoModuleWanted(elsewhere({ database: { kind: 'postgres', url: 'postgres://x' } }), {}), false);
  assert.equal(demoModuleWanted(elsewhere({ publicUrl: new URL('https://login.example.com') }), {}), false);
  assert.equal(demoModuleWanted(elsewhere({ publicUrl: new URL('http://192.168.1.5:3000') }), {}), false);
  assert.equal(await ensureDemoModule(deps, { GATEHOUSE_DEMO_MODULE: 'off' }), undefined);

  const first = await ensureDemoModule(deps, {});
  const second = await ensureDemoModule(deps, {});
  assert.ok(first && second);
  assert.equal(second.clientId, first.clientId, 'found again, not registered twice');
  assert.notEqual(second.clientSecret, first.clientSecret);

  const stored = await findModuleByClientId(deps.db, first.clientId);
  assert.equal(stored?.name, 'Demo Module');
  assert.equal(stored?.client_type, 'confidential');
  assert.deepEqual(JSON.parse(stored?.redirect_uris ?? '[]'), ['http://localhost:3001/callback']);
  assert.deepEqual(JSON.parse(stored?.post_logout_redirect_uris ?? '[]'), ['http://localhost:3001/']);
  assert.equal(stored?.launch_url, DEMO_MODULE.launchUrl);
  const platform = await getPlatformCompany(deps.db);
  assert.ok(platform);
  assert.equal(await companyMayUse(deps.db, platform.id, first.clientId), true);
  assert.equal(await companyMayUse(deps.db, company.companyId, first.clientId), false, 'other companies get it from an operator');

  // Only the newest secret authenticates the module.
  const current = await discover(server, second.clientId, second.clientSecret);
  assert.equal((await client.tokenIntrospection(current, 'not-a-token')).active, false);
  const stale = await discover(server, first.clientId, first.clientSecret);
  await assert.rejects(client.tokenIntrospection(stale, 'not-a-token'), (error: any) => {
    assert.equal(error.status, 401);
    assert.equal(error.cause?.[0]?.parameters?.error, 'invalid_client');
    return true;
  });
});

test('Log Out in Gatehouse logs the user out of the demo too (back-channel logout)', async () => {
  const { demo, agent: demoBrowser } = await startDemo((url) =>
    registerTestModule(operator, { name: 'Demo Module (back-channel)', redirectUris: [`${url}/callback`], backchannelLogoutUri: `${url}/backchannel-logout` }),
  );
  // Another user of the company, in a browser of their own (the shared session was logged
  // out by the test before, and a second login would wait for the app's next code).
  const { agent: browser } = await companyUser(server, { agent: gatehouse, username: company.username, companyId: company.companyId, companyName: ACME_REQUEST.companyName, password: STRONG_PASSWORD, totpSecret: '' }, 'backchannel-user');
  const signedIn = await browse([browser, demoBrowser], `${demo.url}/login`);
  assert.match(signedIn.answer.body, /Signed in as/);

  // What is not a logout token from Gatehouse ends nothing.
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  for (const body of ['logout_token=not.a.token', '', `logout_token=${'x'.repeat(20_000)}`]) {
    const forged = await new Agent(demo.url).post('/backchannel-logout', body, form);
    assert.ok(forged.status === 400 || forged.status === 413, `${forged.status} for ${body.slice(0, 30)}`);
  }
  assert.match((await demoBrowser.get<string>('/')).body, /Signed in as/);

  // Log Out in Gatehouse: Gatehouse tells the demo, which ends the session of that sign-in.
  assert.equal((await browser.post('/api/logout', {})).status, 200);
  await until(async () => /Log In with Gatehouse/.test((await demoBrowser.get<string>('/')).body), 'the demo to end the session Gatehouse logged out');
  assert.ok(demoLog.some((line) => /back-channel logout: 1 session\(s\) ended/.test(line)), demoLog.join('\n'));
});
