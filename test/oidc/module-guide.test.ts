// "Writing a module" (docs/MODULES.md), run: each openid-client snippet of the guide is
// marked here (`// guide: NAME`) and runs against a real Gatehouse, with a signed-in
// user's browser walked through the provider's redirects; the last test checks that the
// guide shows exactly these snippets. What the guide says a module sees (lifetimes,
// rotation, offline_access, the refusal, a failed silent sign-in, logout) is asserted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as client from 'openid-client';
import type { Agent } from '../helpers/agent.ts';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { codeLines, guideBlocks, testedRegions } from '../helpers/guide.ts';
import type { signedInOperator } from '../helpers/journey.ts';
import {
  companyUser,
  companyWithRootMaster,
  followRedirects,
  grantedModule,
  jwtParts,
  POST_LOGOUT_URI,
  REDIRECT_URI,
  rootWithGrantedModule,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { API_SCOPES } from '../../src/contract/api-v1.ts';

let server: TestServer;
let operator: Awaited<ReturnType<typeof signedInOperator>>;
let root: Person;
let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
let ISSUER: string;
let CLIENT_ID: string;
let CLIENT_SECRET: string;
let MODULE_ID: string;

before(async () => {
  receiver = await startBackchannelReceiver();
  server = await startTestServer({ realClock: true });
  const started = await rootWithGrantedModule(server);
  ({ operator, root } = started);
  // The module of the guide: registered with a back-channel logout URI, granted to root's company.
  const module = await grantedModule(server, operator.agent, root.companyId, {
    name: 'Guide Module',
    backchannelLogoutUri: receiver.url('/backchannel'),
  });
  ISSUER = `${server.baseUrl}/oidc`;
  CLIENT_ID = module.module.clientId;
  CLIENT_SECRET = module.clientSecret as string;
  MODULE_ID = module.module.id;
});
after(async () => {
  await server.close();
  await receiver.close();
});

async function discoverWithPost() {
  // guide: discovery
  // Plain http is for a Gatehouse on localhost in development only.
  const insecure = ISSUER.startsWith('http://localhost') ? { execute: [client.allowInsecureRequests] } : undefined;
  const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, insecure);
  // end guide
  return config;
}

async function discoverWithBasic() {
  const insecure = { execute: [client.allowInsecureRequests] };
  // guide: discovery-basic
  const config = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined, client.ClientSecretBasic(CLIENT_SECRET), insecure);
  // end guide
  return config;
}

async function startSignIn(config: client.Configuration, extra: Record<string, string> = {}) {
  // guide: sign-in
  const code_verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const parameters = {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email company',
    code_challenge: await client.calculatePKCECodeChallenge(code_verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  };
  const url = client.buildAuthorizationUrl(config, parameters);
  // Keep code_verifier, state and nonce in the user's session; send the browser to url.
  // end guide
  return { url, code_verifier, state, nonce, parameters };
}

type Started = Awaited<ReturnType<typeof startSignIn>>;

async function finishSignIn(config: client.Configuration, currentUrl: URL, { code_verifier, state, nonce }: Started) {
  // guide: callback
  const tokens = await client.authorizationCodeGrant(config, currentUrl, {
    pkceCodeVerifier: code_verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  const claims = tokens.claims();
  // end guide
  assert.ok(claims);
  return { tokens, claims };
}

/** The user's browser goes to `url` and comes back to the module's redirect URI. */
async function browse(browser: Agent, url: URL) {
  const walk = await followRedirects(browser, url);
  assert.ok(walk.callback, `ended at ${walk.at} with ${walk.final?.status} ${String(walk.final?.body).slice(0, 200)}`);
  return walk.callback;
}

async function signIn(config: client.Configuration, browser: Agent, extra: Record<string, string> = {}) {
  const started = await startSignIn(config, extra);
  return { started, ...(await finishSignIn(config, await browse(browser, started.url), started)) };
}

const invalidGrant = (error: any) => {
  assert.equal(error.error, 'invalid_grant', String(error));
  return true;
};

test('discovery gives the endpoints the guide names; PAR is offered, not required', async () => {
  const metadata = (await discoverWithPost()).serverMetadata();
  assert.equal(metadata.issuer, ISSUER);
  assert.equal(metadata.pushed_authorization_request_endpoint, `${ISSUER}/request`);
  assert.equal(metadata.require_pushed_authorization_requests, undefined);
  assert.equal(metadata.end_session_endpoint, `${ISSUER}/session/end`);
  assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
  assert.equal(metadata.backchannel_logout_supported, true);
  // The sign-in scopes a module may ask for; the API scopes listed after them belong to
  // API clients (client credentials) and are refused to a module with invalid_scope.
  assert.deepEqual((metadata.scopes_supported as string[]).slice(0, 5), ['openid', 'offline_access', 'profile', 'email', 'company']);
  assert.deepEqual((metadata.scopes_supported as string[]).slice(5), [...API_SCOPES]);
});

test('code + PKCE with client_secret_post (openid-client with a secret) and with client_secret_basic', async () => {
  for (const config of [await discoverWithPost(), await discoverWithBasic()]) {
    const { claims, tokens } = await signIn(config, root.agent);
    assert.equal(claims.sub, `${root.companyId}.${(claims.sub as string).split('.')[1]}`, 'sub is stable and names the company');
    assert.equal(claims.preferred_username, root.username);
    assert.deepEqual(claims.company, { id: root.companyId, name: root.companyName });
    assert.ok((claims.amr as string[]).includes('otp'));
    assert.equal(claims.acr, 'urn:gatehouse:loa:2fa');
    assert.ok(tokens.refresh_token);
  }
});

test('without PKCE, even a confidential module gets no code', async () => {
  const config = await discoverWithPost();
  const started = await startSignIn(config);
  const url = new URL(started.url);
  url.searchParams.delete('code_challenge');
  url.searchParams.delete('code_challenge_method');
  const callback = await browse(root.agent, url);
  assert.equal(callback.searchParams.get('code'), null);
  assert.equal(callback.searchParams.get('error'), 'invalid_request');
});

test('usernames repeat across companies; sub does not', async () => {
  const config = await discoverWithPost();
  const other = await companyWithRootMaster(server, operator.agent);
  const granted = await operator.agent.post(`/api/operator/companies/${other.companyId}/modules/${MODULE_ID}/grant`);
  assert.equal(granted.status, 200);
  const namesake = await companyUser(server, other, root.username);
  const ours = await signIn(config, root.agent);
  const theirs = await signIn(config, namesake.agent);
  assert.equal(theirs.claims.preferred_username, ours.claims.preferred_username);
  assert.notEqual(theirs.claims.sub, ours.claims.sub);
  assert.notDeepEqual(theirs.claims.company, ours.claims.company);
});

test('PAR: the parameters go to the provider first, the browser carries only a request_uri', async () => {
  const config = await discoverWithPost();
  const { parameters, ...started } = await startSignIn(config);
  // guide: par
  const url = await client.buildAuthorizationUrlWithPAR(config, parameters);
  // end guide
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
  const { claims } = await finishSignIn(config, await browse(root.agent, url), { ...started, parameters });
  assert.equal(claims.preferred_username, root.username);
});

test('lifetimes: access token 10 minutes, ID token 1 hour, refresh token within the session', async () => {
  const config = await discoverWithPost();
  const { tokens } = await signIn(config, root.agent);
  assert.ok(tokens.expires_in !== undefined && tokens.expires_in <= 600 && tokens.expires_in > 590, `expires_in ${tokens.expires_in}`);
  const idToken = jwtParts(tokens.id_token as string).payload as { iat: number; exp: number };
  assert.equal(idToken.exp - idToken.iat, 3600);
  const refresh = await client.tokenIntrospection(config, tokens.refresh_token as string);
  // The company's default absolute session limit is 12 hours; the session began at login.
  assert.ok(typeof refresh.exp === 'number' && refresh.exp <= Date.now() / 1000 + 12 * 3600, `refresh exp ${refresh.exp}`);
});

test('refresh rotates: the old refresh token is refused, and using it again ends the grant', async () => {
  const config = await discoverWithPost();
  const { tokens } = await signIn(config, root.agent);
  const refreshToken = tokens.refresh_token as string;
  // guide: refresh
  const refreshed = await client.refreshTokenGrant(config, refreshToken);
  // Store refreshed.refresh_token now: the one just used is spent.
  // end guide
  assert.ok(refreshed.refresh_token && refreshed.refresh_token !== refreshToken);
  assert.equal(refreshed.claims()?.sub, tokens.claims()?.sub);
  await assert.rejects(client.refreshTokenGrant(config, refreshToken), invalidGrant);
  // The reuse ended the grant: the newest refresh and access tokens stop too.
  await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token as string), invalidGrant);
  assert.equal((await client.tokenIntrospection(config, refreshed.access_token)).active, false);
  // The user's Gatehouse session is untouched: the next sign-in is silent again.
  await signIn(config, root.agent);
});

/** The provider's logout page for this ID token, answered with Log Out (logout=yes) or Stay Logged In. */
async function logOutThroughModule(config: client.Configuration, browser: Agent, idToken: string, choice: 'log-out' | 'stay') {
  const state = client.randomState();
  // guide: logout
  const logoutUrl = client.buildEndSessionUrl(config, {
    id_token_hint: idToken,
    post_logout_redirect_uri: POST_LOGOUT_URI,
    state,
  });
  // end guide
  const page = await browser.get(logoutUrl.pathname + logoutUrl.search);
  assert.equal(page.status, 200);
  assert.match(String(page.body), /Do you want to log out from Guide Module and Gatehouse\?/);
  const form = /<form id="op.logoutForm" method="post" action="([^"]+)">.*?name="xsrf" value="([^"]+)"/s.exec(String(page.body));
  assert.ok(form);
  const fields = { xsrf: form[2] as string, ...(choice === 'log-out' ? { logout: 'yes' } : {}) };
  const answered = await browser.request('POST', new URL(form[1] as string).pathname, new URLSearchParams(fields).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
  assert.equal(answered.status, 303);
  const back = new URL(answered.headers.get('location') as string);
  assert.equal(back.origin + back.pathname, POST_LOGOUT_URI);
  assert.equal(back.searchParams.get('state'), state);
}

test('offline_access: refresh tokens come without it; with it (and prompt=consent) they survive "Stay Logged In", never a Gatehouse logout', async () => {
  const config = await discoverWithPost();
  const person = await companyUser(server, root, 'offline');

  const plain = await signIn(config, person.agent);
  assert.ok(plain.tokens.refresh_token, 'a refresh token without offline_access');
  assert.ok(!plain.tokens.scope?.split(' ').includes('offline_access'));
  await logOutThroughModule(config, person.agent, plain.tokens.id_token as string, 'stay');
  assert.equal((await person.agent.get('/api/me')).status, 200, 'still signed in to Gatehouse');
  await assert.rejects(client.refreshTokenGrant(config, plain.tokens.refresh_token as string), invalidGrant);
  // The module that started the logout hears of it on the back channel, even for Stay Logged In.
  const notice = await receiver.waitFor((n) => n.payload.sid === plain.claims.sid, 'the module-only logout');
  assert.equal(notice.payload.sub, plain.claims.sub);

  // oidc-provider honours offline_access only with prompt=consent; Gatehouse shows no consent page.
  const dropped = await signIn(config, person.agent, { scope: 'openid profile offline_access' });
  assert.ok(!dropped.tokens.scope?.split(' ').includes('offline_access'), `scope ${dropped.tokens.scope}`);
  const offline = await signIn(config, person.agent, { scope: 'openid profile offline_access', prompt: 'consent' });
  assert.ok(offline.tokens.scope?.split(' ').includes('offline_access'), `scope ${offline.tokens.scope}`);
  await logOutThroughModule(config, person.agent, offline.tokens.id_token as string, 'stay');
  const kept = await client.refreshTokenGrant(config, offline.tokens.refresh_token as string);
  assert.ok(kept.refresh_token, 'offline_access tokens outlive a logout from the module alone');

  // Logging out of Gatehouse ends them all the same.
  assert.equal((await person.agent.post('/api/logout')).status, 200);
  await assert.rejects(client.refreshTokenGrant(config, kept.refresh_token as string), invalidGrant);
});

test('a silent sign-in (prompt=none) without a Gatehouse session: login_required at the redirect URI', async () => {
  const config = await discoverWithPost();
  const browser = server.agent();
  const started = await startSignIn(config, { prompt: 'none' });
  const currentUrl = await browse(browser, started.url);
  assert.equal(currentUrl.searchParams.get('error'), 'login_required');
  assert.equal(currentUrl.searchParams.get('state'), started.state);
  const { code_verifier, state, nonce } = started;
  let signedIn = false;
  let sendToSignIn = false;
  // guide: silent
  try {
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: code_verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    signedIn = Boolean(tokens.claims());
  } catch (error) {
    if (!(error instanceof client.AuthorizationResponseError) || error.error !== 'login_required') throw error;
    sendToSignIn = true; // start a normal sign-in (without prompt=none)
  }
  // end guide
  assert.equal(signedIn, false);
  assert.equal(sendToSignIn, true);
});

test("a company not granted the module: a Gatehouse page, nothing for the module; silently, login_required", async () => {
  const config = await discoverWithPost();
  const stranger = await companyWithRootMaster(server, operator.agent, 'Initech Services');
  const walk = await followRedirects(stranger.agent, (await startSignIn(config)).url);
  assert.equal(walk.callback, undefined, 'the module hears nothing');
  assert.equal(walk.final?.status, 403);
  assert.match(String(walk.final?.body), /Guide Module is not enabled for Initech Services/);

  const started = await startSignIn(config, { prompt: 'none' });
  const currentUrl = await browse(stranger.agent, started.url);
  assert.equal(currentUrl.searchParams.get('error'), 'login_required');
  assert.equal(currentUrl.searchParams.get('code'), null);
});

test('RP-initiated logout: a confirmation page, then the post-logout URI; Log Out ends Gatehouse and sends the back-channel notice', async () => {
  const config = await discoverWithPost();
  const person = await companyUser(server, root, 'leaving');
  const { tokens, claims } = await signIn(config, person.agent);
  await logOutThroughModule(config, person.agent, tokens.id_token as string, 'log-out');
  assert.equal((await person.agent.get('/api/me')).status, 401, 'logged out of Gatehouse');
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token as string), invalidGrant);
  const notice = await receiver.waitFor((n) => n.payload.sub === claims.sub, 'the logout notice');
  assert.equal(notice.payload.sid, claims.sid);
  assert.equal(notice.payload.aud, CLIENT_ID);
});

test('the guide shows exactly the snippets this file runs', () => {
  const regions = testedRegions(new URL(import.meta.url));
  const blocks = guideBlocks();
  assert.ok(regions.size >= 7, `regions: ${[...regions.keys()]}`);
  for (const [name, code] of regions) {
    const block = blocks.get(name);
    assert.ok(block !== undefined, `docs/MODULES.md shows the "${name}" snippet`);
    assert.deepEqual(codeLines(block), codeLines(code), `the guide's "${name}" snippet is the code the test runs`);
  }
  // The guide's other marked blocks are the ones the peers test runs as they stand.
  assert.deepEqual([...blocks.keys()].filter((name) => !regions.has(name)).sort(), ['apache', 'authlib']);
});
