// Modules and passkeys: the ID token's amr says a key signed (RFC 8176 hwk/swk) and acr is
// phishing-resistant; a module asking for that acr through acr_values sends a user signed
// in with a code to log in again (step-up), and never gets a weaker token.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { followRedirects, grantedModule, logInAgain, redeem, rootWithGrantedModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const PHISHING_RESISTANT = 'urn:gatehouse:loa:phishing-resistant';

let server: TestServer;
let root: Person;
let module: Awaited<ReturnType<typeof grantedModule>>;
let key: SoftAuthenticator;

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ root, module } = await rootWithGrantedModule(server));
  key = new SoftAuthenticator(server.baseUrl);
  const options = await root.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
  assert.equal((await root.agent.post('/api/me/security-keys', { response: key.register(options.body) })).status, 200);
});
after(() => server.close());

async function sentToLogin(agent: Agent, extra: Record<string, string>) {
  const start = await startAuthorization(module.config, extra);
  const walk = await followRedirects(agent, start.url);
  assert.equal(walk.callback, undefined, 'no code yet');
  assert.equal(walk.at?.pathname, '/login', `sent to the login page, not ${walk.at}`);
  return { start, returnTo: walk.at.searchParams.get('return') ?? '', need: walk.at.searchParams.get('need') };
}

async function logInWithKey(agent: Agent, returnTo?: string) {
  await agent.post('/api/login/identify', { username: root.username, companyName: root.companyName, ...(returnTo ? { returnTo } : {}) });
  assert.equal((await agent.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');
  const options = await agent.post('/api/login/key/options');
  const done = await agent.post('/api/login/key', { response: key.assert(options.body) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return done.body as { step: 'done'; redirectTo?: string };
}

test('discovery lists both acr values', async () => {
  const answer = (await fetch(`${server.baseUrl}/oidc/.well-known/openid-configuration`).then((r) => r.json())) as { acr_values_supported: string[] };
  assert.deepEqual(answer.acr_values_supported, ['urn:gatehouse:loa:2fa', PHISHING_RESISTANT]);
});

test('acr_values asks for phishing-resistant: a code session steps up with the key; amr and acr say so', async () => {
  // root.agent signed in with the app's code: not enough for this module's request.
  const sent = await sentToLogin(root.agent, { acr_values: PHISHING_RESISTANT });
  assert.equal(sent.need, 'key', 'the login page is told why');
  const login = await logInWithKey(root.agent, sent.returnTo);
  assert.equal(login.redirectTo, sent.returnTo);
  const walk = await followRedirects(root.agent, login.redirectTo as string);
  assert.ok(walk.callback, `back at the module (ended at ${walk.at} with ${walk.final?.status})`);
  const claims = (await redeem(module.config, walk.callback, sent.start)).claims();
  assert.equal(claims?.acr, PHISHING_RESISTANT);
  assert.deepEqual(claims?.amr, ['pwd', 'hwk', 'user']);

  // The key session now satisfies the same request silently.
  const again = await startAuthorization(module.config, { acr_values: PHISHING_RESISTANT });
  const silent = await followRedirects(root.agent, again.url);
  assert.ok(silent.callback, 'no login needed');
  assert.equal((await redeem(module.config, silent.callback, again)).claims()?.acr, PHISHING_RESISTANT);
});

test('a login made for the request with a code instead of the key is refused, not given a weaker token', async () => {
  const browser = server.agent();
  const sent = await sentToLogin(browser, { acr_values: PHISHING_RESISTANT });
  assert.equal(sent.need, 'key', 'a browser without a session is told up front too');
  const login = await logInAgain(server, browser, root, sent.returnTo);
  const walk = await followRedirects(browser, login.redirectTo as string);
  assert.equal(walk.callback, undefined, 'no code for a weaker sign-in');
  assert.equal(walk.final?.status, 403);
  assert.match(String(walk.final?.body), /requires a passkey or security key/);

  // Without acr_values, the same session signs in with acr 2fa and amr pwd otp.
  const plain = await startAuthorization(module.config);
  const ok = await followRedirects(browser, plain.url);
  assert.ok(ok.callback);
  const claims = (await redeem(module.config, ok.callback, plain)).claims();
  assert.equal(claims?.acr, 'urn:gatehouse:loa:2fa');
  assert.deepEqual(claims?.amr, ['pwd', 'otp']);
});
