// A user created by single sign-on has no Gatehouse password (like a federated user in
// Keycloak or ZITADEL). My Settings never dead-ends for them: the profile names the
// provider that holds the password, password and email changes say where to make them,
// the app's code alone confirms a 2FA change, a key is added after a recent sign-in or code, and
// "Forgot password" emails where the password lives. node oidc-provider plays the IdP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, operatorAgent, switchedOnOidcProvider, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import type { TestOidcIdp } from '../helpers/oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`My Settings for a user created by single sign-on (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestOidcIdp;
  let erin: { agent: Agent; totpSecret: string };

  async function signInThroughProvider(): Promise<Agent> {
    await idp.nextUser({ sub: 'sub-erin', claims: { preferred_username: 'erin', name: 'Erin Okta', email: 'erin@okta.test' }, amr: ['pwd'] });
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: 'erin', companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    const back = await idp.signIn(started.body.redirectTo);
    await browser.get(back.slice(server.baseUrl.length));
    return browser;
  }

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Federated', 'dana@federated.test');
    ({ idp } = await switchedOnOidcProvider(server, company, { username: 'tester', email: 'tess@okta.test' }));

    const browser = await signInThroughProvider();
    const enrollment = await browser.post('/api/login/enroll/start');
    assert.equal((await browser.post('/api/login/enroll/verify', { code: totpAt(enrollment.body.secret, server.clock()) })).status, 200);
    erin = { agent: browser, totpSecret: enrollment.body.secret };
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  test('the profile names the provider; password and email changes say where to make them', async () => {
    const profile = await erin.agent.get('/api/me/profile');
    assert.equal(profile.status, 200, JSON.stringify(profile.body));
    assert.equal(profile.body.passwordManagedBy, 'Acme Okta');
    assert.deepEqual(profile.body.proof, { password: false, app: true, key: false });
    const password = await erin.agent.post('/api/me/password', { currentPassword: 'anything', newPassword: 'N3w-Passw0rd!x', confirm: 'N3w-Passw0rd!x' });
    assert.equal(password.status, 409);
    assert.equal(password.body.error.code, 'password.managed_by_provider');
    const email = await erin.agent.post('/api/me/email', { email: 'erin@elsewhere.test', password: 'anything' });
    assert.equal(email.status, 409);
    assert.equal(email.body.error.code, 'email.managed_by_provider');
    assert.equal((await erin.agent.get('/api/me')).status, 200, 'still signed in');
  });

  test("the app's code alone makes new recovery codes; a wrong one is refused", async () => {
    server.clock.advance(30_000);
    const code = totpAt(erin.totpSecret, server.clock());
    const wrong = await erin.agent.post('/api/me/recovery-codes', { code: code === '000000' ? '111111' : '000000' });
    assert.equal(wrong.body.error.code, 'totp.code_refused');
    const made = await erin.agent.post('/api/me/recovery-codes', { code });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.equal(made.body.recoveryCodes.length, 10);
  });

  test('a key is added within 10 minutes of signing in through the provider, not later', async () => {
    server.clock.advance(11 * 60_000);
    const browser = await signInThroughProvider();
    server.clock.advance(30_000);
    assert.equal((await browser.post('/api/login/totp', { code: totpAt(erin.totpSecret, server.clock()) })).status, 200);
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await browser.post('/api/me/security-keys/options', {});
    assert.equal(options.status, 200, JSON.stringify(options.body));
    assert.equal((await browser.post('/api/me/security-keys', { response: key.register(options.body) })).status, 200);

    // Exactly 10 minutes: over, as every window in Gatehouse is over at its limit. Adding a
    // key is a sensitive change: the step-up's proof is asked first (src/http/audiences.ts).
    server.clock.advance(10 * 60_000);
    await browser.get('/api/me'); // keeps the session alive; the sign-in is no longer recent
    const late = await browser.post('/api/me/security-keys/options', {});
    assert.equal(late.status, 403);
    assert.equal(late.body.error.code, 'reauth.required');
    // The app's code (the proof this user has) stands for a sign-in as recent.
    server.clock.advance(30_000);
    assert.equal((await browser.post('/api/me/reauth', { code: totpAt(erin.totpSecret, server.clock()) })).status, 200);
    const proved = await browser.post('/api/me/security-keys/options', {});
    assert.equal(proved.status, 200, JSON.stringify(proved.body));
    assert.equal((await browser.post('/api/me/security-keys', { response: new SoftAuthenticator(server.baseUrl).register(proved.body) })).status, 200);
  });

  test('"Forgot password" answers as for anyone, and emails where the password lives', async () => {
    const asked = await server.agent().post('/api/login/forgot-password', { username: 'erin', companyName: company.companyName });
    assert.equal(asked.status, 200);
    const mail = await server.mail.waitFor((m) => m.to.includes('erin@okta.test') && m.subject === 'Your Gatehouse password is managed by your company');
    assert.match(mail.text, /managed by Acme Okta/);
    assert.doesNotMatch(mail.text, /reset-password\//);
  });
});
