// A module's id_token_hint signed by a key Gatehouse no longer holds (`gatehouse keys
// rotate --now`; a retired key past its grace) is what every module holds after such a
// rotation, and it cannot know one happened. Guards src/modules/oidc/id-token-hints.ts:
// - its Log Out (end_session with that hint, as docs/MODULES.md writes it) shows the usual
//   confirmation and ends the Gatehouse session, never a "Sign-in could not continue"
//   page that leaves the person logged in; the post-logout redirect is honoured only as
//   without a hint (client_id naming the module);
// - its silent sign-in (prompt=none with that hint) gets a code for the hinted user's
//   browser and login_required for anyone else's, never invalid_request;
// - forged hints stay refused: a bad signature under a key we hold, another issuer.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rotateSigningKeys } from '../../src/modules/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { answerLogoutPage, companyUser, followRedirects, logInAgain, POST_LOGOUT_URI, rootWithGrantedModule, signInToModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let root: Person;
let module: Awaited<ReturnType<typeof rootWithGrantedModule>>['module'];
/** Root's ID token from before the rotation: its key is gone. */
let oldHint: string;
/** Root's ID token from after it: signed by a key the provider holds. */
let currentHint: string;

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ root, module } = await rootWithGrantedModule(server));
  oldHint = (await signInToModule(module.config, root.agent)).tokens.id_token as string;
  // `gatehouse keys rotate --now` (a key that may have leaked), then this node's key check.
  const { db, secrets } = server.gatehouse.deps;
  await rotateSigningKeys(db, secrets, server.clock(), { dropPrevious: true });
  await server.gatehouse.oidc.reloadKeys();
  const fresh = await startAuthorization(module.config);
  const { callback } = await followRedirects(root.agent, fresh.url);
  const code = callback?.searchParams.get('code');
  assert.ok(callback && code, 'a new sign-in works after the rotation');
  const redeemed = await fetch(module.config.serverMetadata().token_endpoint as string, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${module.module.clientId}:${module.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback.origin + callback.pathname, code_verifier: fresh.verifier }),
  });
  currentHint = ((await redeemed.json()) as { id_token: string }).id_token;
  assert.ok(currentHint);
});
after(() => server.close());

const NAVIGATION = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

/** The hint with its payload changed (its signature no longer matches it). */
function withPayload(jwt: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  change(claims);
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

async function silentSignIn(browser: Agent, hint: string) {
  const start = await startAuthorization(module.config, { prompt: 'none', id_token_hint: hint });
  const walk = await followRedirects(browser, start.url);
  assert.ok(walk.callback, `the module hears back (ended at ${walk.at} ${walk.final?.status})`);
  return { code: walk.callback.searchParams.get('code'), error: walk.callback.searchParams.get('error') };
}

async function logOutPage(browser: Agent, query: Record<string, string>) {
  return browser.get(`/oidc/session/end?${new URLSearchParams(query)}`, NAVIGATION);
}


test('a silent sign-in with a hint whose key is gone: a code for the hinted user\'s browser, login_required for anyone else\'s', async () => {
  const own = await silentSignIn(root.agent, oldHint);
  assert.equal(own.error, null, `no error for the hinted user (got ${own.error})`);
  assert.ok(own.code, 'a code');
  const colleague = await companyUser(server, root, 'colleague');
  const other = await silentSignIn(colleague.agent, oldHint);
  assert.deepEqual(other, { code: null, error: 'login_required' }, 'the hint still names who the module expects');
  const nobody = await silentSignIn(server.agent(), oldHint);
  assert.deepEqual(nobody, { code: null, error: 'login_required' });
});

test('forged hints stay refused: a bad signature under a key the provider holds, another issuer', async () => {
  const badSignature = withPayload(currentHint, (claims) => { claims.sub = `${String(claims.sub)}x`; });
  const otherIssuer = withPayload(oldHint, (claims) => { claims.iss = 'https://issuer.example'; });
  for (const forged of [badSignature, otherIssuer]) {
    assert.deepEqual(await silentSignIn(root.agent, forged), { code: null, error: 'invalid_request' });
    const page = await logOutPage(root.agent, { id_token_hint: forged, post_logout_redirect_uri: POST_LOGOUT_URI });
    assert.equal(page.status, 400);
    assert.doesNotMatch(String(page.body), /op\.logoutForm/);
  }
  assert.equal((await root.agent.get('/api/me')).status, 200);
});

test('after keys rotate --now, a module\'s Log Out (id_token_hint from before) still lets the user log out of Gatehouse', async () => {
  assert.equal((await root.agent.get('/api/me')).status, 200, 'the Gatehouse session outlives the rotation (documented)');
  // The module's Log Out button, as docs/MODULES.md section 7 writes it.
  const page = await logOutPage(root.agent, { id_token_hint: oldHint, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' });
  assert.equal(page.status, 200, `the logout confirmation is shown, not an error: ${String(page.body).replace(/\s+/g, ' ').slice(0, 400)}`);
  const confirmed = await answerLogoutPage(root.agent, String(page.body), { logout: 'yes' });
  assert.equal(confirmed.status, 303);
  assert.ok(!confirmed.headers.get('location')?.startsWith(POST_LOGOUT_URI), 'an unverified hint does not vouch for the redirect');
  assert.equal((await root.agent.get('/api/me')).status, 401, 'the Gatehouse session has ended');
});

test('with client_id as well, the registered post-logout URI is honoured, as without a hint', async () => {
  await logInAgain(server, root.agent, root);
  const page = await logOutPage(root.agent, { id_token_hint: oldHint, client_id: module.module.clientId, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' });
  assert.equal(page.status, 200);
  const confirmed = await answerLogoutPage(root.agent, String(page.body), { logout: 'yes' });
  assert.equal(confirmed.status, 303);
  assert.equal(confirmed.headers.get('location'), `${POST_LOGOUT_URI}?state=bye`);
  assert.equal((await root.agent.get('/api/me')).status, 401);
});
