// What the provider does once an operator edits a module (POST /api/operator/modules/:id):
// it reads the module afresh on every request (src/modules/oidc/clients.ts; oidc-provider
// keeps a client only under a digest of its metadata), so the next authorization, the next
// ID token and the next logout notice follow the edit at once, on every node: a removed
// redirect URI is refused, an added one works, a new ID token algorithm signs the next ID
// token, a new back-channel logout URI gets the next notice. An edit is no revocation: the
// tokens and sign-ins already made go on. The route's own rules: test/http/module-edit.test.ts.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';
import {
  answerLogoutPage,
  client,
  companyUser,
  companyWithRootMaster,
  followRedirects,
  grantedModule,
  jwtParts,
  logInAgain,
  POST_LOGOUT_URI,
  REDIRECT_URI,
  signInToModule,
  startAuthorization,
  verifiesWithJwks,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const MOVED_URI = 'http://127.0.0.1:4999/moved/callback';
const MOVED_BYE_URI = 'http://127.0.0.1:4999/moved/bye?from=gatehouse';

/** The test module's whole form (test/helpers/oidc.ts), with the changes an edit makes. */
const formWith = (change: Record<string, unknown>) => ({
  name: 'Ticketing',
  description: 'Service desk',
  launchUrl: 'http://127.0.0.1:4999/',
  redirectUris: [REDIRECT_URI],
  postLogoutRedirectUris: [POST_LOGOUT_URI],
  clientType: 'confidential',
  ...change,
});

/** The provider's answer to a browser sent to an authorization URL (no redirect followed). */
const authorizationAnswer = (server: { baseUrl: string }, url: URL) => fetch(new URL(url.pathname + url.search, server.baseUrl), { redirect: 'manual' });

async function assertRefusedAtProvider(server: { baseUrl: string }, url: URL, what: string) {
  const answer = await authorizationAnswer(server, url);
  assert.equal(answer.status, 400, `${what}: ${answer.status} to ${answer.headers.get('location')}`);
  assert.equal(answer.headers.get('location'), null, `${what}: never a redirect`);
  assert.match(await answer.text(), /redirect_uri/);
}

describe('a module edited, as the provider sees it', () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  let root: Person;
  let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
  before(async () => {
    receiver = await startBackchannelReceiver();
    server = await startTestServer({ realClock: true });
    operator = await signedInOperator(server);
    root = await companyWithRootMaster(server, operator.agent);
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  const edit = async (moduleId: string, change: Record<string, unknown>) => {
    const saved = await operator.agent.post(`/api/operator/modules/${moduleId}`, formWith(change));
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
  };

  test('a removed redirect URI is refused at the next authorization, an added one works at once; tokens issued before go on', async () => {
    const module = await grantedModule(server, operator.agent, root.companyId, { name: 'Moving' });
    const before = await signInToModule(module.config, root.agent);
    const { access_token: accessToken, refresh_token: refreshToken } = before.tokens;
    assert.ok(accessToken && refreshToken);

    await edit(module.module.id, { name: 'Moving', redirectUris: [MOVED_URI] });

    const toOld = await startAuthorization(module.config);
    await assertRefusedAtProvider(server, toOld.url, 'the removed URI');
    const signedIn = await root.agent.get(toOld.url.pathname + toOld.url.search);
    assert.equal(signedIn.status, 400, 'refused to a signed-in browser too, never redirected');

    const toMoved = await startAuthorization(module.config, { redirect_uri: MOVED_URI });
    const walk = await followRedirects(root.agent, toMoved.url, 'http://127.0.0.1:4999');
    assert.ok(walk.callback, `ended at ${walk.at} with ${walk.final?.status}`);
    assert.equal(walk.callback.origin + walk.callback.pathname, MOVED_URI);
    const redeemed = await client.authorizationCodeGrant(module.config, walk.callback, { pkceCodeVerifier: toMoved.verifier, expectedState: toMoved.state, expectedNonce: toMoved.nonce });
    assert.ok(redeemed.access_token, 'a code at the added URI is redeemed');

    // An edit is not a revocation.
    assert.equal((await client.tokenIntrospection(module.config, accessToken)).active, true, 'the access token issued before is live');
    const userinfo = await client.fetchUserInfo(module.config, accessToken, before.claims.sub);
    assert.equal(userinfo.sub, before.claims.sub);
    const refreshed = await client.refreshTokenGrant(module.config, refreshToken);
    assert.ok(refreshed.access_token, 'the refresh token issued before still refreshes');
  });

  test('a code already given at a removed redirect URI is not redeemed; a sign-in begun towards it gets no code', async () => {
    const module = await grantedModule(server, operator.agent, root.companyId, { name: 'Dropping' });
    const person = await companyUser(server, root, 'dora');
    // A code given at the URI, not yet exchanged when the edit removes the URI.
    const minted = await startAuthorization(module.config);
    const walk = await followRedirects(person.agent, minted.url);
    const callback = walk.callback ?? assert.fail(`a code at the callback, not ${walk.at}`);
    // A sign-in begun before the edit by a browser with no session: the login page holds it.
    const begun = await startAuthorization(module.config);
    const stranger = server.agent();
    const toLogin = await followRedirects(stranger, begun.url);
    const returnTo = toLogin.at?.searchParams.get('return') ?? assert.fail(`at the login page, not ${toLogin.at}`);

    await edit(module.module.id, { name: 'Dropping', redirectUris: [MOVED_URI] });

    await assert.rejects(
      client.authorizationCodeGrant(module.config, callback, { pkceCodeVerifier: minted.verifier, expectedState: minted.state, expectedNonce: minted.nonce }),
      (error: any) => error.error === 'invalid_grant',
      'the code at the removed URI is refused',
    );
    await logInAgain(server, stranger, person, returnTo);
    const resumed = await followRedirects(stranger, returnTo);
    assert.equal(resumed.callback, undefined, `no answer sent to the removed URI (${resumed.callback})`);
    assert.equal(resumed.final?.status, 400, `the sign-in ends on an error page, not ${resumed.at}`);
    assert.match(String(resumed.final?.body), /This sign-in can no longer finish/);
  });

  test('a logout page shown before an edit removed its post-logout URI sends the browser to Gatehouse, not there, whichever button', async () => {
    const module = await grantedModule(server, operator.agent, root.companyId, { name: 'Leaving' });
    for (const [button, fields] of [['Log Out', { logout: 'yes' }], ['Stay Logged In', {}]] as const) {
      const person = await companyUser(server, root, button === 'Log Out' ? 'lena' : 'stella');
      const { tokens } = await signInToModule(module.config, person.agent);
      const query = new URLSearchParams({ id_token_hint: tokens.id_token as string, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' });
      const page = await person.agent.get(`/oidc/session/end?${query}`, { accept: 'text/html' });
      assert.equal(page.status, 200);

      await edit(module.module.id, { name: 'Leaving', postLogoutRedirectUris: [MOVED_BYE_URI] });
      const answered = await answerLogoutPage(person.agent, String(page.body), fields);
      assert.equal(answered.status, 303);
      const to = new URL(answered.headers.get('location') ?? '', server.baseUrl);
      assert.equal(to.origin, server.baseUrl, `${button}: the browser stays with Gatehouse, not sent to ${to}`);
      const last = await person.agent.get(to.pathname + to.search, { accept: 'text/html' });
      assert.equal(last.status, 200, `${button}: Gatehouse's own last page`);
      assert.match(String(last.body), button === 'Log Out' ? /logged out/i : /Leaving/, `${button}: the page says what ended`);
      assert.equal((await person.agent.get('/api/me')).status, button === 'Log Out' ? 401 : 200, `${button} did what it says all the same`);
      await edit(module.module.id, { name: 'Leaving', postLogoutRedirectUris: [POST_LOGOUT_URI] });
    }
  });

  test('a post-logout URI an edit added is where the next logout returns to', async () => {
    const module = await grantedModule(server, operator.agent, root.companyId, { name: 'Arriving' });
    await edit(module.module.id, { name: 'Arriving', postLogoutRedirectUris: [POST_LOGOUT_URI, MOVED_BYE_URI] });
    const { tokens } = await signInToModule(module.config, root.agent);
    const query = new URLSearchParams({ id_token_hint: tokens.id_token as string, post_logout_redirect_uri: MOVED_BYE_URI, state: 'hi there' });
    const page = await root.agent.get(`/oidc/session/end?${query}`, { accept: 'text/html' });
    const answered = await answerLogoutPage(root.agent, String(page.body), {});
    const to = new URL(answered.headers.get('location') ?? '');
    assert.equal(to.origin + to.pathname, MOVED_BYE_URI.split('?')[0]);
    assert.deepEqual([...to.searchParams], [['from', 'gatehouse'], ['state', 'hi there']], 'the URI as registered, with the state');
  });

  test('a changed ID token algorithm signs the next ID token with it, a refresh of a token issued before too', async () => {
    const module = await grantedModule(server, operator.agent, root.companyId, { name: 'Curving' });
    const before = await signInToModule(module.config, root.agent);
    assert.equal(jwtParts(before.tokens.id_token as string).header.alg, 'RS256');

    await edit(module.module.id, { name: 'Curving', idTokenAlg: 'ES256' });

    // The module's own configuration changes with it (its library checks the algorithm).
    const es256 = await client.discovery(
      new URL('/oidc', server.baseUrl),
      module.module.clientId,
      { client_secret: module.clientSecret as string, id_token_signed_response_alg: 'ES256' },
      client.ClientSecretBasic(module.clientSecret as string),
      { execute: [client.allowInsecureRequests] },
    );
    const next = await signInToModule(es256, root.agent);
    const idToken = next.tokens.id_token as string;
    assert.equal(jwtParts(idToken).header.alg, 'ES256');
    assert.equal(await verifiesWithJwks(es256, idToken), true);
    const refreshed = await client.refreshTokenGrant(es256, before.tokens.refresh_token as string);
    assert.equal(jwtParts(refreshed.id_token as string).header.alg, 'ES256', 'the refresh answers an ID token of the new algorithm');
  });

  // Open: oidc-provider checks a hint against the module's algorithm now, so an RS256 hint is
  // refused (400) once the module is on ES256; the hint's lenience lives in
  // src/modules/oidc/id-token-hints.ts (a hint of the module's former algorithm, by a key we hold).
  test("an ID token issued before an algorithm change still names its module at Log Out (id_token_hint)", async () => {
    const module = await grantedModule(server, operator.agent, root.companyId, { name: 'Hinted' });
    const person = await companyUser(server, root, 'hilda');
    const before = await signInToModule(module.config, person.agent);
    await edit(module.module.id, { name: 'Hinted', idTokenAlg: 'ES256' });
    const query = new URLSearchParams({ id_token_hint: before.tokens.id_token as string, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' });
    const page = await person.agent.get(`/oidc/session/end?${query}`, { accept: 'text/html' });
    assert.equal(page.status, 200, String(page.body).slice(0, 400));
    assert.match(String(page.body), /log out from Hinted/);
  });

  test('a changed back-channel logout URI gets the next notice, for sign-ins made before the edit; a module that gains one is told too', async () => {
    const moved = await grantedModule(server, operator.agent, root.companyId, { name: 'Told', backchannelLogoutUri: receiver.url('/old/backchannel') });
    const gained = await grantedModule(server, operator.agent, root.companyId, { name: 'Untold' });
    const person = await companyUser(server, root, 'edna');
    const movedSignIn = await signInToModule(moved.config, person.agent);
    const gainedSignIn = await signInToModule(gained.config, person.agent);

    await edit(moved.module.id, { name: 'Told', backchannelLogoutUri: receiver.url('/new/backchannel') });
    await edit(gained.module.id, { name: 'Untold', backchannelLogoutUri: receiver.url('/gained/backchannel') });

    assert.equal((await person.agent.post('/api/logout')).status, 200);
    const notice = await receiver.waitFor((n) => n.path === '/new/backchannel', 'the moved module');
    assert.equal(notice.payload.sid, movedSignIn.claims.sid);
    const told = await receiver.waitFor((n) => n.path === '/gained/backchannel', 'the module that gained a URI');
    // Its ID token carried no sid (none was asked for then): the notice names the user.
    assert.equal(told.payload.sub, gainedSignIn.claims.sub);
    assert.deepEqual(receiver.received.filter((n) => n.path === '/old/backchannel'), [], 'nothing to the URI replaced');
  });
});

for (const engine of await enginesUnderTest()) {
  describe(`a module edited on one node, on another (${engine})`, () => {
    let server: TestServer;
    let otherNode: NodeProcess;
    let operator: Awaited<ReturnType<typeof signedInOperator>>;
    let root: Person;
    before(async () => {
      server = await startTestServer({ engine, realClock: true });
      operator = await signedInOperator(server);
      root = await companyWithRootMaster(server, operator.agent);
      // A second node: the same database and secret key, its own process and memory.
      otherNode = await startNodeProcess([MAIN], { env: { GATEHOUSE_DATABASE_URL: server.database.url, GATEHOUSE_WORKERS: '1' }, ready: 'readyz' });
    });
    after(async () => {
      otherNode?.cleanUp();
      await server?.close();
    });

    test('the other node refuses a removed redirect URI at its next authorization and takes the added one', async () => {
      const module = await grantedModule(server, operator.agent, root.companyId, { name: 'Everywhere' });
      const toOld = await startAuthorization(module.config);
      const toMoved = await startAuthorization(module.config, { redirect_uri: MOVED_URI });
      // The other node has the module as it was (it served an authorization with it).
      const served = await authorizationAnswer(otherNode, toOld.url);
      assert.ok(served.status >= 300 && served.status < 400, `before the edit: ${served.status}`);
      await assertRefusedAtProvider(otherNode, toMoved.url, 'not yet registered');

      const saved = await operator.agent.post(`/api/operator/modules/${module.module.id}`, formWith({ name: 'Everywhere', redirectUris: [MOVED_URI] }));
      assert.equal(saved.status, 200, JSON.stringify(saved.body));

      await assertRefusedAtProvider(otherNode, toOld.url, 'the removed URI, on the other node');
      const moved = await authorizationAnswer(otherNode, toMoved.url);
      assert.ok(moved.status >= 300 && moved.status < 400, `the added URI, on the other node: ${moved.status}`);
    });
  });
}
