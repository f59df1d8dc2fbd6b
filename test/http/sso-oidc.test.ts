// Signing in through a company's OpenID Connect provider: node oidc-provider in a process
// of its own plays the company's IdP; Gatehouse discovers it, sends the browser there with
// PKCE, state and nonce, and takes the answer once. After it comes Gatehouse's own second
// factor, a key counting as the app does, as after a password.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startOidcIdp, type TestOidcIdp } from '../helpers/oidc-idp.ts';
import { followRedirects, grantedModule, redeem, signInToModule, startAuthorization } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`single sign-on with an OpenID Connect provider (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestOidcIdp;
  let providerId: string;
  let operator: Agent;

  /** A browser sent to the provider and back; the path it came back to. `returnTo`: the module sign-in the login is for. */
  async function roundTrip(username: string, browser = server.agent(), returnTo?: string): Promise<{ browser: Agent; callback: string }> {
    const identified = await browser.post('/api/login/identify', { username, companyName: company.companyName, ...(returnTo ? { returnTo } : {}) });
    assert.equal(identified.body.step, 'sso');
    assert.equal(identified.body.provider, 'Acme Okta');
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const url = new URL(started.body.redirectTo);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(url.searchParams.get('state') && url.searchParams.get('nonce'));
    const back = await idp.signIn(started.body.redirectTo);
    assert.ok(back.startsWith(`${server.baseUrl}/sso/${company.companyId}/oidc/callback?`), back);
    return { browser, callback: back.slice(server.baseUrl.length) };
  }

  /** Through the provider, who answers for `username` with `amr`: the browser back at the login, and the step it is at. */
  async function signedInAtProvider(username: string, amr: string[]) {
    await idp.nextUser({ sub: `sub-${username}`, claims: { preferred_username: username, email: `${username}@okta.test` }, amr });
    const { browser, callback } = await roundTrip(username);
    assert.equal((await browser.get(callback)).headers.get('location'), '/login');
    return { browser, state: (await browser.get('/api/login')).body };
  }

  async function keyLogin(browser: Agent, key: SoftAuthenticator) {
    const options = await browser.post('/api/login/key/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    return browser.post('/api/login/key', { response: key.assert(options.body) });
  }

  /** Past the provider alone (no MFA there): none of the enroll step's calls gets anywhere. */
  async function assertEnrollClosed(browser: Agent) {
    for (const [path, body] of [['/api/login/enroll/start', {}], ['/api/login/enroll/verify', { code: '123456' }], ['/api/login/key-enrollment/options', {}]] as const) {
      const answer = await browser.post(path, body);
      assert.equal(answer.status, 409, `${path}: ${JSON.stringify(answer.body)}`);
    }
    assert.equal((await browser.get('/api/me')).status, 401);
  }

  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    company = await companyWithRootMaster(server, operator, 'Acme Okta Users', 'dana@okta.test');
    const overview = await company.root.agent.get('/api/company/sso');
    idp = await startOidcIdp(overview.body.serviceProvider.oidcRedirectUri);
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  test('an issuer without a discovery document is refused', async () => {
    const added = await company.root.agent.post('/api/company/sso/providers', {
      kind: 'oidc', name: 'Nowhere', issuer: 'http://127.0.0.1:9/nothing', clientId: 'x', clientSecret: 'y', usernameAttribute: 'preferred_username', trustProviderMfa: false,
    });
    assert.equal(added.status, 400);
    assert.equal(added.body.error.code, 'sso.discovery_failed');
  });

  test('the provider is added by discovery, its secret kept encrypted, tested and switched on', async () => {
    const added = await company.root.agent.post('/api/company/sso/providers', {
      kind: 'oidc', name: 'Acme Okta', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, usernameAttribute: 'preferred_username', trustProviderMfa: true,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.deepEqual(added.body.provider.oidc, { issuer: idp.issuer, clientId: idp.clientId, hasClientSecret: true });
    providerId = added.body.provider.id;
    const stored = await dbOf(server).selectFrom('sso_providers').select('oidc_client_secret').where('id', '=', providerId).executeTakeFirstOrThrow();
    assert.ok(stored.oidc_client_secret && !stored.oidc_client_secret.includes(idp.clientSecret));

    await idp.nextUser({ sub: 'sub-tester', claims: { preferred_username: 'tester', name: 'Tess Ter', email: 'tess@okta.test' } });
    const started = await company.root.agent.post(`/api/company/sso/providers/${providerId}/test`);
    const back = await idp.signIn(started.body.redirectTo);
    const landed = await company.root.agent.get(back.slice(server.baseUrl.length));
    assert.equal(landed.status, 303);
    assert.equal(landed.headers.get('location'), `/company?tab=sso&provider=${providerId}&ssoTest=${started.body.testId}`);
    const result = await company.root.agent.get(`/api/company/sso/providers/${providerId}/test/${started.body.testId}`);
    assert.equal(result.body.status, 'succeeded', JSON.stringify(result.body));
    assert.deepEqual(result.body.identity, { username: 'tester', displayName: 'Tess Ter', email: 'tess@okta.test', mfa: false, method: 'amr=pwd', groups: null });

    assert.equal((await company.root.agent.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
    const on = await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
  });

  test('a new user signs in through the provider, is created, and enrolls Gatehouse 2FA', async () => {
    await idp.nextUser({ sub: 'sub-erin', claims: { preferred_username: 'erin', name: 'Erin Okta', email: 'erin@okta.test' }, amr: ['pwd'] });
    const { browser, callback } = await roundTrip('erin');
    const landed = await browser.get(callback);
    assert.equal(landed.headers.get('location'), '/login');
    assert.equal((await browser.get('/api/login')).body.step, 'enroll');
    const enrollment = await browser.post('/api/login/enroll/start');
    assert.equal((await browser.post('/api/login/enroll/verify', { code: totpAt(enrollment.body.secret, server.clock()) })).status, 200);
    const me = await browser.get('/api/me');
    assert.equal(me.body.user.username, 'erin');
    assert.equal(me.body.user.displayName, 'Erin Okta');
    assert.deepEqual(me.body.session.amr, ['fed', 'otp']);
  });

  test("the provider's proven MFA is trusted when the company says so", async () => {
    await idp.nextUser({ sub: 'sub-erin', claims: { preferred_username: 'erin', name: 'Erin Okta', email: 'erin@okta.test' }, amr: ['pwd', 'otp'] });
    const { browser, callback } = await roundTrip('erin');
    await browser.get(callback);
    assert.equal((await browser.get('/api/login')).body.step, 'sso_trusted');
    assert.equal((await browser.post('/api/login/sso/finish')).status, 200);
    assert.deepEqual((await browser.get('/api/me')).body.session.amr, ['fed', 'mfa']);
    // A module's ID token says the same: the company's provider, and its MFA.
    const module = await grantedModule(server, operator, company.companyId);
    const { claims } = await signInToModule(module.config, browser);
    assert.deepEqual(claims.amr, ['fed', 'mfa']);
  });

  test('a module sign-in begun logged out goes through the provider, and the login made there returns to the module', async () => {
    await idp.nextUser({ sub: 'sub-erin', claims: { preferred_username: 'erin', name: 'Erin Okta', email: 'erin@okta.test' }, amr: ['pwd', 'otp'] });
    const module = await grantedModule(server, operator, company.companyId, { name: 'Ticketing from SSO' });
    const browser = server.agent();
    const start = await startAuthorization(module.config);
    const toLogin = await followRedirects(browser, start.url);
    const returnTo = toLogin.at?.searchParams.get('return') ?? assert.fail(`sent to the login page, not ${toLogin.at}`);
    const { callback } = await roundTrip('erin', browser, returnTo);
    await browser.get(callback);
    const finished = await browser.post('/api/login/sso/finish');
    assert.equal(finished.status, 200, JSON.stringify(finished.body));
    assert.equal(finished.body.redirectTo, returnTo, 'the login hands back the module sign-in it was made for');
    const back = await followRedirects(browser, returnTo);
    assert.ok(back.callback, `back at the module, not at ${back.at} (${back.final?.status})`);
    const tokens = await redeem(module.config, back.callback, start);
    assert.equal(tokens.claims()?.preferred_username, 'erin');
    assert.deepEqual(tokens.claims()?.amr, ['fed', 'mfa']);
  });

  test('the answer works once, and only through the browser that started it', async () => {
    await idp.nextUser({ sub: 'sub-erin', claims: { preferred_username: 'erin' }, amr: ['pwd', 'otp'] });
    const { browser, callback } = await roundTrip('erin');
    // Another browser following the same link (someone sent it the provider's link, or the
    // answer) signs nobody in there, nor moves on the sign-in of the browser that started it.
    const other = server.agent();
    const stolen = await other.get(callback);
    assert.equal(stolen.status, 303);
    assert.equal(stolen.headers.get('location'), '/login?sso=failed');
    assert.equal((await other.get('/api/me')).status, 401);
    assert.equal((await other.get('/api/login')).body.step, 'identify');
    assert.equal((await browser.get('/api/login')).body.step, 'sso');
    assert.equal((await browser.get('/api/me')).status, 401);
    // And the state is used up: the same answer again is refused.
    const again = await browser.get(callback);
    assert.equal(again.headers.get('location'), '/login?sso=failed');
    const forged = await browser.get(`/sso/${company.companyId}/oidc/callback?code=abc&state=not-a-state`);
    assert.equal(forged.headers.get('location'), '/login?sso=failed');
    const failures = await dbOf(server).selectFrom('audit_events').select('action').where('action', '=', 'sso.login_failed').execute();
    assert.ok(failures.length >= 2);
  });

  test('a user whose second factor is a passkey is asked for it after the provider, not sent to enrollment again', async () => {
    // Kai's first sign-in: created by the provider; a passkey instead of the app.
    const first = await signedInAtProvider('kai', ['pwd']);
    assert.equal(first.state.step, 'enroll');
    const passkey = new SoftAuthenticator(server.baseUrl, { synced: true });
    const options = await first.browser.post('/api/login/key-enrollment/options');
    const added = await first.browser.post('/api/login/key-enrollment', { name: 'Kai passkey', response: passkey.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const kaiCodes = added.body.recoveryCodes as string[];
    assert.equal((await keyLogin(first.browser, passkey)).status, 200);
    assert.deepEqual((await first.browser.get('/api/me')).body.session.amr, ['fed', 'swk', 'user']);

    // Someone with Kai's provider password alone: the key step, no enrollment, no session.
    server.clock.advance(60_000);
    const provider = await signedInAtProvider('kai', ['pwd']);
    assert.equal(provider.state.step, 'totp');
    assert.deepEqual(provider.state.secondFactors, ['key', 'recovery_code']);
    await assertEnrollClosed(provider.browser);
    assert.equal((await provider.browser.post('/api/login/totp', { code: '123456' })).status, 401);
    assert.equal((await provider.browser.get('/api/me')).status, 401);

    // Kai's recovery codes were not replaced: one still signs in (amr fed mfa); the passkey does too.
    server.clock.advance(60_000);
    const recovering = await signedInAtProvider('kai', ['pwd']);
    const recovered = await recovering.browser.post('/api/login/recovery', { code: kaiCodes[0] });
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
    assert.deepEqual((await recovering.browser.get('/api/me')).body.session.amr, ['fed', 'mfa']);
    server.clock.advance(60_000);
    const withKey = await signedInAtProvider('kai', ['pwd']);
    assert.equal((await keyLogin(withKey.browser, passkey)).status, 200);
    assert.deepEqual((await withKey.browser.get('/api/me')).body.session.amr, ['fed', 'swk', 'user']);
  });

  test("a user with the app is asked for its code after the provider", async () => {
    const first = await signedInAtProvider('ivy', ['pwd']);
    assert.equal(first.state.step, 'enroll');
    const enrollment = await first.browser.post('/api/login/enroll/start');
    assert.equal((await first.browser.post('/api/login/enroll/verify', { code: totpAt(enrollment.body.secret, server.clock()) })).status, 200);

    server.clock.advance(60_000);
    const again = await signedInAtProvider('ivy', ['pwd']);
    assert.equal(again.state.step, 'totp');
    assert.deepEqual(again.state.secondFactors, ['app', 'recovery_code']);
    await assertEnrollClosed(again.browser);
    const done = await again.browser.post('/api/login/totp', { code: totpAt(enrollment.body.secret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual((await again.browser.get('/api/me')).body.session.amr, ['fed', 'otp']);
  });

  test('a login left at enrollment is over once the user has a key from My Settings: it enrolls neither the app nor a key', async () => {
    // Lee signs in with the provider's trusted MFA: a session, and no Gatehouse factor yet.
    const lee = await signedInAtProvider('lee', ['pwd', 'otp']);
    assert.equal(lee.state.step, 'sso_trusted');
    assert.equal((await lee.browser.post('/api/login/sso/finish')).status, 200);
    // Someone with Lee's provider password alone reaches enrollment and prepares both ways.
    const attacker = await signedInAtProvider('lee', ['pwd']);
    assert.equal(attacker.state.step, 'enroll');
    const secret = (await attacker.browser.post('/api/login/enroll/start')).body.secret as string;
    const attackerOptions = await attacker.browser.post('/api/login/key-enrollment/options');
    assert.equal(attackerOptions.status, 200, JSON.stringify(attackerOptions.body));
    // Lee adds a passkey in My Settings; that login is not one of the enroll step's.
    const options = await lee.browser.post('/api/me/security-keys/options', {});
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const leeKey = new SoftAuthenticator(server.baseUrl, { synced: true });
    assert.equal((await lee.browser.post('/api/me/security-keys', { response: leeKey.register(options.body) })).status, 200);

    const verified = await attacker.browser.post('/api/login/enroll/verify', { code: totpAt(secret, server.clock()) });
    assert.equal(verified.status, 409, JSON.stringify(verified.body));
    assert.equal(verified.body.error.code, 'login.flow_expired');
    const added = await attacker.browser.post('/api/login/key-enrollment', { response: new SoftAuthenticator(server.baseUrl).register(attackerOptions.body) });
    assert.equal(added.status, 409, JSON.stringify(added.body));
    assert.equal(added.body.error.code, 'login.flow_expired');
    assert.equal((await attacker.browser.get('/api/me')).status, 401);
    const user = await dbOf(server).selectFrom('users').select(['id', 'totp_secret']).where('company_id', '=', company.companyId).where('username', '=', 'lee').executeTakeFirstOrThrow();
    assert.equal(user.totp_secret, null);
    const keys = await dbOf(server).selectFrom('webauthn_credentials').select('id').where('company_id', '=', company.companyId).where('user_id', '=', user.id).execute();
    assert.equal(keys.length, 1);
  });
  test('an answer still being redeemed when the provider is switched off signs no one in, even once it is back on', async () => {
    // The provider's MFA is trusted: were the answer to count, it would be a session.
    await idp.nextUser({ sub: 'sub-omar', claims: { preferred_username: 'omar', email: 'omar@okta.test' }, amr: ['pwd', 'otp'] });
    const { browser, callback } = await roundTrip('omar');
    const hold = await idp.holdNextTokenRequest();
    const landing = browser.get(callback);
    // Gatehouse has taken the answer's state and waits on the provider for the code's tokens.
    await hold.held();
    const off = await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: false });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    await hold.release();
    const landed = await landing;
    assert.equal(landed.headers.get('location'), '/login?sso=failed', 'the answer counts for nothing');
    const on = await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.notEqual((await browser.get('/api/login')).body.step, 'sso_trusted');
    assert.notEqual((await browser.post('/api/login/sso/finish')).status, 200);
    assert.equal((await browser.get('/api/me')).status, 401);
    const user = await dbOf(server).selectFrom('users').select('id').where('company_id', '=', company.companyId).where('username', '=', 'omar').executeTakeFirst();
    assert.equal(user, undefined, 'no one is made from the answer');
  });
  test('a sign-in request saved as the provider was switched off is not answered once it is back on', async () => {
    await idp.nextUser({ sub: 'sub-paz', claims: { preferred_username: 'paz', email: 'paz@okta.test' }, amr: ['pwd', 'otp'] });
    const { browser, callback } = await roundTrip('paz');
    // The row a Continue writes. One that found the provider on just before the switch-off
    // committed writes it just after the switch-off's delete: the same row, back.
    const db = dbOf(server);
    const saved = await db.selectFrom('sso_requests').selectAll().where('company_id', '=', company.companyId).where('provider_id', '=', providerId).where('purpose', '=', 'login').execute();
    assert.equal(saved.length, 1);
    assert.equal((await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: false })).status, 200);
    await db.insertInto('sso_requests').values(saved).execute();
    assert.equal((await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
    const landed = await browser.get(callback);
    assert.equal(landed.headers.get('location'), '/login?sso=failed', 'the late request is over with the others');
    assert.equal((await browser.get('/api/me')).status, 401);
    const user = await db.selectFrom('users').select('id').where('company_id', '=', company.companyId).where('username', '=', 'paz').executeTakeFirst();
    assert.equal(user, undefined, 'no one is made from the answer');
  });
});
