// The company's provider and its break-glass Masters. It once signed them in like any
// user. Break-glass users are the way in when the provider cannot be relied on (docs/SSO.md,
// "Break-glass users and mode"), and only the Root Master is kept out of the provider's
// reach (refusalOf in src/sso/sign-in.ts). So whoever controls the provider (its signing
// key leaked, a rogue admin there, or any one Master who points the company at a provider
// of their own) signs in as a break-glass Master: with the company trusting the provider's
// MFA, a session with no Gatehouse second factor at all (also past the two-person rule for
// that Master's 2FA), and in any case the Master's address rewritten to one the attacker
// reads (provisionUser), where the password reset goes. Now the provider may name a
// break-glass user, but its MFA never stands in for their own second factor
// (providerMfaMayStandIn) and it changes nothing of their account (address, name, groups).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';

const MFA = 'https://refeds.org/profile/mfa';

for (const engine of await enginesUnderTest()) describe(`the provider and the break-glass Masters (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestIdp;
  let sp: { entityId: string; acsUrl: string };
  let mia: Person;

  const facts = (requestId: string, nameId: string, email: string) => ({
    requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId, now: server.clock(), authnContext: MFA, attributes: { email },
  });

  before(async () => {
    server = await startTestServer({ engine });
    const operator = await operatorAgent(server);
    company = await companyWithRootMaster(server, operator, 'Acme Break Glass', 'dana@glass.test');
    mia = await invitedMember(server, company, company.root.agent, { username: 'mia', role: 'master', email: 'mia@glass.test' });
    idp = makeIdp();
    const root = company.root.agent;
    sp = (await root.get('/api/company/sso')).body.serviceProvider;
    const added = await root.post('/api/company/sso/providers', {
      kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: true,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id;
    const tested = await root.post(`/api/company/sso/providers/${providerId}/test`);
    await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestIdFrom(tested.body.redirectTo), 'tester', 'tester@glass.test')), root);
    const settings = await root.post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [company.root.id, mia.id] });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    assert.equal((await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
  });
  after(() => server?.close());

  for (const nameId of ['mia', 'MIA']) {
    test(`a provider naming the break-glass Master (${nameId}) gives no session without Gatehouse's second factor, and moves no mail`, async () => {
      server.clock.advance(30_000);
      const browser = server.agent();
      assert.equal((await browser.post('/api/login/identify', { username: 'someone', companyName: company.companyName })).body.step, 'sso');
      const started = await browser.post('/api/login/sso/start');
      assert.equal(started.status, 200, JSON.stringify(started.body));
      await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestIdFrom(started.body.redirectTo), nameId, 'attacker@evil.test')), browser);
      const step = (await browser.get('/api/login')).body.step;
      assert.equal(step, 'totp', "the provider's MFA stood in for the break-glass Master's own second factor");
      const finished = await browser.post('/api/login/sso/finish');
      assert.notEqual(finished.body.step, 'done');
      assert.equal((await browser.get('/api/me')).status, 401, 'no session as the break-glass Master');
      const stored = await dbOf(server).selectFrom('users').select(['email', 'display_name']).where('id', '=', mia.id).executeTakeFirstOrThrow();
      assert.equal(stored.email, 'mia@glass.test', "the break-glass Master's address stays");
      // With her own code, the sign-in through the provider finishes.
      const code = await browser.post('/api/login/totp', { code: totpAt(mia.totpSecret, server.clock()) });
      assert.equal(code.status, 200, JSON.stringify(code.body));
      assert.equal((await browser.get('/api/me')).body.user.username, 'mia');
    });
  }
});
