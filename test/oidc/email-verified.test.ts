// What a module is told of a user's address: `email_verified` is true only for an address
// Gatehouse saw reach the user (a link mailed to it was used: the Sign Up link, an email
// change's confirm link, a password reset's link). An address the company's identity
// provider named was never mailed anything: a module that links accounts by a verified
// address must not take it as verified, whichever way the provider brought it (a new
// user, an address replaced). A user with no address gets no email claims at all. The ID
// token and userinfo say the same.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { answeredByForgingProvider, switchedOnForgingProvider, type ForgingOidcIdp } from '../helpers/forging-oidc-idp.ts';
import { STRONG_PASSWORD, tokenIn } from '../helpers/journey.ts';
import { client, grantedModule, signInToModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`email_verified as modules see it (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let federated: SignedInCompany;
  let plain: SignedInCompany;
  let idp: ForgingOidcIdp;
  let federatedModule: Awaited<ReturnType<typeof grantedModule>>;
  let plainModule: Awaited<ReturnType<typeof grantedModule>>;

  before(async () => {
    server = await startTestServer({ engine });
    // openid-client checks the ID token's times against the wall clock.
    server.clock.set(Date.now());
    operator = await operatorAgent(server);
    federated = await companyWithRootMaster(server, operator, 'Acme Federated Mail', 'dana@federated-mail.test');
    plain = await companyWithRootMaster(server, operator, 'Acme Plain Mail', 'erin@plain-mail.test');
    federatedModule = await grantedModule(server, operator, federated.companyId);
    plainModule = await grantedModule(server, operator, plain.companyId);
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  /** The module's ID token claims and userinfo for the user signed in on `browser`, with the email scope. */
  async function toldToModule(module: typeof plainModule, browser: Agent) {
    const { tokens, claims } = await signInToModule(module.config, browser, { scope: 'openid email' });
    const userinfo = await client.fetchUserInfo(module.config, tokens.access_token, claims.sub);
    const pick = (from: Record<string, unknown>) => ({ email: from.email, email_verified: from.email_verified });
    return { idToken: pick(claims), userinfo: pick(userinfo) };
  }
  const both = (told: { email?: unknown; email_verified?: unknown }) => ({ idToken: told, userinfo: told });

  test('a Root Master who signed up through the welcome mail: the address, verified', async () => {
    assert.deepEqual(await toldToModule(plainModule, plain.root.agent), both({ email: 'erin@plain-mail.test', email_verified: true }));
  });

  test('an invited user who signed up through the invitation: the address, verified', async () => {
    const member = await invitedMember(server, plain, plain.root.agent, { username: 'ivan', role: 'user', email: 'ivan@plain-mail.test' });
    assert.deepEqual(await toldToModule(plainModule, member.agent), both({ email: 'ivan@plain-mail.test', email_verified: true }));
  });

  test('an address changed and confirmed through the link mailed to it: the new address, verified', async () => {
    const member = await invitedMember(server, plain, plain.root.agent, { username: 'jane', role: 'user', email: 'jane@plain-mail.test' });
    const asked = await member.agent.post('/api/me/email', { email: 'jane.new@plain-mail.test', password: STRONG_PASSWORD });
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    const mail = await server.mail.waitFor((m) => m.to.includes('jane.new@plain-mail.test'));
    assert.equal((await server.agent().post('/api/me/email/confirm', { token: tokenIn(mail.text, 'confirm-email') })).status, 200);
    assert.deepEqual(await toldToModule(plainModule, member.agent), both({ email: 'jane.new@plain-mail.test', email_verified: true }));
  });

  describe('through the company’s identity provider', () => {
    let existing: Awaited<ReturnType<typeof invitedMember>>;
    before(async () => {
      // A user who signed up by mail before the provider was switched on.
      existing = await invitedMember(server, federated, federated.root.agent, { username: 'kim', role: 'user', email: 'kim@federated-mail.test' });
      ({ idp } = await switchedOnForgingProvider(server, federated, { trustProviderMfa: true }));
    });

    async function signedInByProvider(claims: Record<string, unknown>) {
      const { browser, location } = await answeredByForgingProvider(server, federated, idp, { amr: ['pwd', 'otp'], ...claims });
      assert.equal(location, '/login');
      const finished = await browser.post('/api/login/sso/finish');
      assert.equal(finished.body.step, 'done', JSON.stringify(finished.body));
      return browser;
    }

    test('a new user with an address the provider does not say it verified: the address, not verified', async () => {
      const browser = await signedInByProvider({ sub: 'sub-lena', preferred_username: 'lena', email: 'ceo@elsewhere.test' });
      assert.deepEqual(await toldToModule(federatedModule, browser), both({ email: 'ceo@elsewhere.test', email_verified: false }));
    });

    test('a new user with an address the provider says it verified: still not verified by Gatehouse', async () => {
      const browser = await signedInByProvider({ sub: 'sub-max', preferred_username: 'max', email: 'max@elsewhere.test', email_verified: true });
      assert.deepEqual(await toldToModule(federatedModule, browser), both({ email: 'max@elsewhere.test', email_verified: false }));
    });

    test('a new user whose address the provider says is unverified: no address, and no email claims', async () => {
      const browser = await signedInByProvider({ sub: 'sub-noaddr', preferred_username: 'noaddr', email: 'boss@elsewhere.test', email_verified: false });
      assert.deepEqual(await toldToModule(federatedModule, browser), both({ email: undefined, email_verified: undefined }));
    });

    test('a user who signed up by mail, whose address the provider then replaced: the new address, not verified', async () => {
      const browser = await signedInByProvider({ sub: 'sub-kim', preferred_username: existing.username, email: 'kim@elsewhere.test' });
      assert.deepEqual(await toldToModule(federatedModule, browser), both({ email: 'kim@elsewhere.test', email_verified: false }));
    });

    test('an address the provider replaced, proved again through a password reset mailed to it: verified', async () => {
      const member = await invitedMember(server, federated, federated.root.agent, { username: 'otto', role: 'user', email: 'otto@federated-mail.test' });
      await member.agent.post('/api/me/logout');
      const byProvider = await signedInByProvider({ sub: 'sub-otto', preferred_username: 'otto', email: 'otto@elsewhere.test' });
      assert.deepEqual((await toldToModule(federatedModule, byProvider)).idToken, { email: 'otto@elsewhere.test', email_verified: false });
      assert.equal((await server.agent().post('/api/login/forgot-password', { username: 'otto', companyName: federated.companyName })).status, 200);
      const mail = await server.mail.waitFor((m) => m.to.includes('otto@elsewhere.test') && m.subject === 'Reset your Gatehouse password');
      const reset = await server.agent().post('/api/password-reset', { token: tokenIn(mail.text, 'reset-password'), password: `${STRONG_PASSWORD}x`, confirm: `${STRONG_PASSWORD}x` });
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      // The reset ended every session: the provider signs Otto in again.
      const again = await signedInByProvider({ sub: 'sub-otto', preferred_username: 'otto', email: 'otto@elsewhere.test' });
      assert.deepEqual(await toldToModule(federatedModule, again), both({ email: 'otto@elsewhere.test', email_verified: true }));
    });

    test('the same address named again by the provider stays as it was: verified', async () => {
      const member = await invitedMember(server, federated, federated.root.agent, { username: 'nina', role: 'user', email: 'nina@federated-mail.test' });
      await member.agent.post('/api/me/logout');
      const browser = await signedInByProvider({ sub: 'sub-nina', preferred_username: 'nina', email: 'nina@federated-mail.test' });
      assert.deepEqual(await toldToModule(federatedModule, browser), both({ email: 'nina@federated-mail.test', email_verified: true }));
    });
  });
});
