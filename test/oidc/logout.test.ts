// Logging out through a module (RP-initiated logout): a confirmation page, then the
// registered post-logout URI; Gatehouse's session ends with it, the module's tokens are
// revoked, and modules with a back-channel logout URI receive a signed logout token
// (through the outbox: delivered by its worker, so the test waits for it).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { assertValidLogoutToken, startBackchannelReceiver } from '../helpers/backchannel.ts';
import { signedInOperator } from '../helpers/journey.ts';
import {
  client,
  companyUser,
  companyWithRootMaster,
  grantedModule,
  logInAgain,
  POST_LOGOUT_URI,
  signInToModule,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let root: Person;
let operator: Awaited<ReturnType<typeof signedInOperator>>;
let ticketing: Awaited<ReturnType<typeof grantedModule>>;
let billing: Awaited<ReturnType<typeof grantedModule>>;
let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;

before(async () => {
  receiver = await startBackchannelReceiver();

  server = await startTestServer({ realClock: true });
  operator = await signedInOperator(server);
  root = await companyWithRootMaster(server, operator.agent);
  ticketing = await grantedModule(server, operator.agent, root.companyId, {
    name: 'Ticketing',
    backchannelLogoutUri: receiver.url('/ticketing/backchannel'),
  });
  billing = await grantedModule(server, operator.agent, root.companyId, {
    name: 'Billing',
    backchannelLogoutUri: receiver.url('/billing/backchannel'),
  });
});
after(async () => {
  await server.close();
  await receiver.close();
});

/** What a browser sends when it navigates: the provider answers errors as a page then. */
const NAVIGATION = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

function endSessionPath(idToken: string, postLogout = POST_LOGOUT_URI, state = 'see-you') {
  const query = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: postLogout, state });
  return `/oidc/session/end?${query}`;
}

/** The confirmation page's form: where it posts and its xsrf value. */
function logoutForm(page: string) {
  const form = /<form id="op.logoutForm" method="post" action="([^"]+)">.*?name="xsrf" value="([^"]+)"/s.exec(page);
  assert.ok(form, 'the page carries the logout form');
  return { action: new URL(form[1] as string), xsrf: form[2] as string };
}

async function submit(agent: Agent, form: { action: URL; xsrf: string }, fields: Record<string, string>) {
  return agent.request('POST', form.action.pathname, new URLSearchParams({ xsrf: form.xsrf, ...fields }).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
}

test('end_session shows a confirmation; Log Out goes to the post-logout URI and ends Gatehouse and the tokens', async () => {
  const person = await companyUser(server, root, 'lou');
  const { tokens, claims } = await signInToModule(ticketing.config, person.agent);
  const billingSignIn = await signInToModule(billing.config, person.agent);
  const idToken = tokens.id_token as string;

  const page = await person.agent.get(endSessionPath(idToken));
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(String(page.body), /Do you want to log out from Ticketing and Gatehouse\?/);
  assert.equal((await person.agent.get('/api/me')).status, 200, 'showing the page logs nobody out');

  const confirmed = await submit(person.agent, logoutForm(String(page.body)), { logout: 'yes' });
  assert.equal(confirmed.status, 303);
  const location = new URL(confirmed.headers.get('location') as string);
  assert.equal(location.origin + location.pathname, POST_LOGOUT_URI);
  assert.equal(location.searchParams.get('state'), 'see-you');

  assert.equal((await person.agent.get('/api/me')).status, 401, 'the Gatehouse session has ended');
  await assert.rejects(client.refreshTokenGrant(ticketing.config, tokens.refresh_token as string), (error: any) => {
    assert.equal(error.error, 'invalid_grant');
    return true;
  });
  assert.equal((await client.tokenIntrospection(ticketing.config, tokens.access_token)).active, false);

  // Both modules this browser had signed in to hear about it on the back channel.
  const iss = `${server.baseUrl}/oidc`;
  const ticketingCall = await receiver.waitFor((n) => n.path === '/ticketing/backchannel' && n.payload.sub === claims.sub, 'Ticketing');
  await assertValidLogoutToken(assert, ticketing.config, ticketingCall, { iss, aud: ticketing.module.clientId, sub: claims.sub, sid: claims.sid as string });
  const billingCall = await receiver.waitFor((n) => n.path === '/billing/backchannel' && n.payload.sub === claims.sub, 'Billing');
  await assertValidLogoutToken(assert, billing.config, billingCall, { iss, aud: billing.module.clientId, sub: claims.sub, sid: billingSignIn.claims.sid as string });
});

test('"Stay Logged In" leaves the Gatehouse session alone', async () => {
  const person = await companyUser(server, root, 'stay');
  const { tokens } = await signInToModule(ticketing.config, person.agent);
  const page = await person.agent.get(endSessionPath(tokens.id_token as string));
  assert.equal(page.status, 200);
  const answered = await submit(person.agent, logoutForm(String(page.body)), {});
  assert.equal(answered.status, 303);
  const location = new URL(answered.headers.get('location') as string);
  assert.equal(location.origin + location.pathname, POST_LOGOUT_URI);
  assert.equal((await person.agent.get('/api/me')).status, 200, 'still logged in to Gatehouse');
});

test('an unregistered post_logout_redirect_uri is refused with an error page, no redirect', async () => {
  const person = await companyUser(server, root, 'val');
  const { tokens } = await signInToModule(ticketing.config, person.agent);
  for (const uri of ['https://evil.test/bye', `${POST_LOGOUT_URI}/`, `${POST_LOGOUT_URI}?next=x`, 'http://127.0.0.1:4999/callback']) {
    const answer = await person.agent.get(endSessionPath(tokens.id_token as string, uri), NAVIGATION);
    assert.equal(answer.status, 400, uri);
    assert.equal(answer.headers.get('location'), null);
    assert.match(answer.headers.get('content-type') ?? '', /text\/html/);
    assert.match(String(answer.body), /post_logout_redirect_uri/);
    assert.ok(!String(answer.body).includes('op.logoutForm'), 'no logout form to submit');
  }
  assert.equal((await person.agent.get('/api/me')).status, 200, 'nothing was logged out');
});

test("a forged logout form is refused: the xsrf value is bound to the browser's provider session", async () => {
  const person = await companyUser(server, root, 'xena');
  const { tokens } = await signInToModule(ticketing.config, person.agent);
  const page = await person.agent.get(endSessionPath(tokens.id_token as string));
  const form = logoutForm(String(page.body));
  const forged = await submit(person.agent, { ...form, xsrf: 'guessed' }, { logout: 'yes' });
  assert.equal(forged.status, 400);
  assert.equal(forged.headers.get('location'), null);
  assert.equal((await person.agent.get('/api/me')).status, 200, 'still logged in');
  // Another browser replaying the genuine value gets nowhere either.
  const elsewhere = await submit(server.agent(), form, { logout: 'yes' });
  assert.equal(elsewhere.status, 400);
  assert.equal((await person.agent.get('/api/me')).status, 200);
});

/** What a browser does with a page nobody clicks on: a form that submits itself is posted, with its fields. */
async function actWithoutClick(agent: Agent, page: string) {
  if (!/<script[^>]*>[\s\S]*submit\(\)/i.test(page)) return;
  const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
  assert.ok(action);
  const fields = [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], m[2]] as [string, string]);
  await agent.request('POST', new URL(action, server.baseUrl).pathname, new URLSearchParams(fields).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
}

test('a cross-site link to end_session logs nobody out; only a click on the confirmation does', async () => {
  const person = await companyUser(server, root, 'cass');
  // One browser signed in to a module (it has a provider session), one signed in to
  // Gatehouse only (no provider session).
  const { tokens } = await signInToModule(ticketing.config, person.agent);
  const idToken = tokens.id_token as string;
  const portalOnly = server.agent();
  await logInAgain(server, portalOnly, person);
  const queries: Record<string, string>[] = [
    {},
    { id_token_hint: idToken },
    { id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT_URI, state: 's' },
    { client_id: ticketing.module.clientId, post_logout_redirect_uri: POST_LOGOUT_URI },
    { client_id: ticketing.module.clientId },
  ];
  for (const browser of [person.agent, portalOnly]) {
    for (const [query, method] of queries.flatMap((q) => [[q, 'GET'], [q, 'POST']] as const)) {
      const path = `/oidc/session/end${method === 'GET' ? `?${new URLSearchParams(query)}` : ''}`;
      const crossSite = { ...NAVIGATION, 'sec-fetch-site': 'cross-site', referer: 'https://evil.test/', origin: 'https://evil.test' };
      const page =
        method === 'GET'
          ? await browser.get(path, crossSite)
          : await browser.request('POST', path, new URLSearchParams(query).toString(), { ...crossSite, 'content-type': 'application/x-www-form-urlencoded' });
      if (method === 'POST' && page.status === 404) {
        // The provider offers end_session by GET only (enableHttpPostMethods is off).
        assert.equal((await browser.get('/api/me')).status, 200);
        continue;
      }
      assert.equal(page.status, 200, `${method} ${path}: ${page.status}`);
      assert.match(String(page.body), /Do you want to log out/);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      await actWithoutClick(browser, String(page.body));
      assert.equal((await browser.get('/api/me')).status, 200, `${path}: still signed in to Gatehouse`);
      assert.doesNotMatch(String(page.body), /<script/i, 'the page runs no script');
    }
  }

  // The confirmation, clicked, ends the session, for both browsers.
  for (const browser of [portalOnly, person.agent]) {
    const page = await browser.get('/oidc/session/end', NAVIGATION);
    const confirmed = await submit(browser, logoutForm(String(page.body)), { logout: 'yes' });
    assert.equal(confirmed.status, 303);
    assert.equal((await browser.get('/api/me')).status, 401, 'the click logged out of Gatehouse');
  }
});

// A shared browser: the provider's session still names the user who last signed in to a
// module, while the Gatehouse session is now someone else's (a later login in the same
// browser; the same after an idle or absolute time-out and a new login). "Log Out" on the
// module's logout page ends whichever Gatehouse session the browser holds, with or
// without a post-logout URI: the page says so.
test("Log Out in a shared browser ends the Gatehouse session the browser holds, though the provider's session names an earlier user", async () => {
  for (const [earlier, later, postLogout] of [['shareda', 'sharedb', true], ['sharedc', 'sharedd', false]] as const) {
    const first = await companyUser(server, root, earlier);
    const second = await companyUser(server, root, later);
    const browser = first.agent;
    const { tokens } = await signInToModule(ticketing.config, browser);
    await logInAgain(server, browser, second);
    assert.equal((await browser.get('/api/me')).body.user.username, later);

    const query = postLogout ? endSessionPath(tokens.id_token as string) : `/oidc/session/end?${new URLSearchParams({ id_token_hint: tokens.id_token as string })}`;
    const page = await browser.get(query);
    assert.match(String(page.body), /Do you want to log out from Ticketing and Gatehouse\?/);
    const confirmed = await submit(browser, logoutForm(String(page.body)), { logout: 'yes' });
    assert.equal(confirmed.status, 303);
    if (!postLogout) {
      const landing = await browser.get(new URL(confirmed.headers.get('location') as string, server.baseUrl).pathname);
      assert.match(String(landing.body), /You are now logged out of Gatehouse/);
    }
    assert.equal((await browser.get('/api/me')).status, 401, `${later}'s Gatehouse session has ended (post-logout URI: ${postLogout})`);
  }
});

// The page a logout ends on when it has no post-logout URI says what is true: after "Stay
// Logged In" the Gatehouse session is still live, and the page says so (it said "You are
// now logged out of Gatehouse"). And the confirmation has no button focused on arrival:
// another site can open it, and a key pressed there would have pressed "Log Out".
test('without a post-logout URI the last page says whether Gatehouse is still signed in; nothing on the confirmation is focused', async () => {
  const person = await companyUser(server, root, 'stayput');
  const { tokens } = await signInToModule(ticketing.config, person.agent);
  const hint = new URLSearchParams({ id_token_hint: tokens.id_token as string });
  const page = await person.agent.get(`/oidc/session/end?${hint}`);
  assert.doesNotMatch(String(page.body), /autofocus/i, 'no button focused on arrival');
  const stayed = await submit(person.agent, logoutForm(String(page.body)), {});
  assert.equal(stayed.status, 303);
  const landing = await person.agent.get(new URL(stayed.headers.get('location') as string, server.baseUrl).toString().replace(server.baseUrl, ''));
  assert.equal((await person.agent.get('/api/me')).status, 200, 'still signed in to Gatehouse');
  assert.doesNotMatch(String(landing.body), /You are now logged out of Gatehouse/);
  assert.match(String(landing.body), /You are logged out of Ticketing\. You are still logged in to Gatehouse\./);
  assert.match(landing.headers.get('content-security-policy') ?? '', /form-action 'none'/);

  const again = await person.agent.get(`/oidc/session/end?${hint}`);
  const left = await submit(person.agent, logoutForm(String(again.body)), { logout: 'yes' });
  const after = await person.agent.get(new URL(left.headers.get('location') as string, server.baseUrl).toString().replace(server.baseUrl, ''));
  assert.equal((await person.agent.get('/api/me')).status, 401);
  assert.match(String(after.body), /You are now logged out of Gatehouse/);
});

// The last page takes the module from its address, which any link can write: with no
// logout at all it once told a signed-in user they were logged out of Ticketing while
// Ticketing's sign-in and tokens lived on (on a shared computer, the sentence a user leaves
// on). It names a module as logged out of only when the browser's provider session holds
// no sign-in to it (provider.ts, postLogoutSuccessSource). Found by an audit of the provider.
test('a link to the last page, with no logout, says the module is still signed in, not logged out', async () => {
  const person = await companyUser(server, root, 'linked');
  const { tokens } = await signInToModule(ticketing.config, person.agent);
  const page = await person.agent.get(`/oidc/session/end/success?${new URLSearchParams({ client_id: ticketing.module.clientId })}`, { ...NAVIGATION, 'sec-fetch-site': 'cross-site' });
  assert.equal((await client.tokenIntrospection(ticketing.config, tokens.access_token)).active, true, 'nothing was logged out');
  assert.equal((await client.refreshTokenGrant(ticketing.config, tokens.refresh_token as string)).token_type.toLowerCase(), 'bearer');
  assert.doesNotMatch(String(page.body), /You are logged out of Ticketing/, 'the page claims a logout that never happened');
  assert.match(String(page.body), /You are still logged in to Ticketing and to Gatehouse\./);
});
