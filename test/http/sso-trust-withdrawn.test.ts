// A login a company's identity provider vouched for, not yet finished, ends when a Master
// withdraws what it stood on: the provider switched off (its key leaked), its settings
// changed (its MFA no longer trusted), or another provider switched on in its place. Once
// the browser waiting at the session step still got a session with amr ["fed", "mfa"],
// and one at the app's enrollment still enrolled a secret of its own choosing, up to the
// flow's ten minutes after the switch-off (endFederatedLogins, src/login/federated.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, type AssertionFacts, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const MFA = 'https://refeds.org/profile/mfa';

for (const engine of await enginesUnderTest()) describe(`a provider's vouching withdrawn ends the logins it made (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestIdp;
  let providerId: string;
  let sp: { entityId: string; acsUrl: string };

  const providerBody = (more: Record<string, unknown> = {}) => ({
    kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: true, ...more,
  });
  const facts = (requestId: string, more: Partial<AssertionFacts> = {}): AssertionFacts => ({
    requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'carol', now: server.clock(),
    attributes: { email: 'carol@acme-withdrawn.test', displayName: 'Carol Fed' }, ...more,
  });
  const master = () => company.root.agent;

  /** Test sign-in, then switched on (after a settings change, the provider needs a new test). */
  async function testedAndOn() {
    const started = await master().post(`/api/company/sso/providers/${providerId}/test`);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestIdFrom(started.body.redirectTo), { nameId: 'tester' })), master());
    assert.equal((await master().post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
  }

  /** A browser the provider has answered for `nameId`, at the step that answer led to. */
  async function vouchedFor(nameId: string, more: Partial<AssertionFacts> = {}): Promise<{ browser: Agent; step: string }> {
    server.clock.advance(30_000);
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: nameId, companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    const answer = signedResponse(idp, facts(requestIdFrom(started.body.redirectTo), { nameId, attributes: { email: `${nameId}@acme-withdrawn.test` }, ...more }));
    assert.equal((await postToAcs(sp.acsUrl, answer, browser)).location, '/login');
    return { browser, step: (await browser.get('/api/login')).body.step };
  }

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Withdrawn', 'dana@acme-withdrawn.test');
    idp = makeIdp();
    sp = (await master().get('/api/company/sso')).body.serviceProvider;
    const added = await master().post('/api/company/sso/providers', providerBody());
    assert.equal(added.status, 201, JSON.stringify(added.body));
    providerId = added.body.provider.id;
    assert.equal((await master().post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [company.root.id] })).status, 200);
    await testedAndOn();
  });
  after(() => server.close());

  test('switched off: the browser at the session step gets no session', async () => {
    const { browser, step } = await vouchedFor('carol', { authnContext: MFA });
    assert.equal(step, 'sso_trusted');
    assert.equal((await master().post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: false })).status, 200);
    assert.notEqual((await browser.post('/api/login/sso/finish')).status, 200);
    assert.equal((await browser.get('/api/me')).status, 401);
    await testedAndOn();
  });

  test("its MFA no longer trusted: the browser it vouched for with MFA gets no session", async () => {
    const { browser, step } = await vouchedFor('carol', { authnContext: MFA });
    assert.equal(step, 'sso_trusted');
    assert.equal((await master().post(`/api/company/sso/providers/${providerId}`, providerBody({ trustProviderMfa: false }))).status, 200);
    assert.notEqual((await browser.post('/api/login/sso/finish')).status, 200);
    assert.equal((await browser.get('/api/me')).status, 401);
    assert.equal((await master().post(`/api/company/sso/providers/${providerId}`, providerBody())).status, 200);
    await testedAndOn();
  });

  test('switched off: a new user at the app enrollment it led to cannot enroll', async () => {
    const { browser, step } = await vouchedFor('erin');
    assert.equal(step, 'enroll');
    assert.equal((await master().post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: false })).status, 200);
    assert.notEqual((await browser.post('/api/login/enroll/start')).status, 200);
    assert.equal((await browser.get('/api/me')).status, 401);
    await testedAndOn();
  });

  test('unchanged, a vouched-for login finishes as before', async () => {
    const { browser, step } = await vouchedFor('carol', { authnContext: MFA });
    assert.equal(step, 'sso_trusted');
    assert.equal((await browser.post('/api/login/sso/finish')).status, 200);
    assert.equal((await browser.get('/api/me')).status, 200);
  });
});
