// A login the company's identity provider vouched for, with MFA the company trusts, waits
// at the session step ('sso_trusted') for the browser's one last call. Whatever changes
// meanwhile that would hold this user to a passkey or security key (the policy tightened
// by a Master or an API client, the user made a Master under "masters"), that call mints
// no session without a key: the login goes on as after a password, and the browser is told
// its next step. Before, the call read nothing again and made a session no key signed,
// after the change, so the change's own ending of keyless sessions missed it too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, type AssertionFacts, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const MFA = 'https://refeds.org/profile/mfa';

for (const engine of await enginesUnderTest()) describe(`a vouched-for login and a policy tightened before it finishes (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestIdp;
  let sp: { entityId: string; acsUrl: string };
  let token: string;

  const facts = (requestId: string, more: Partial<AssertionFacts> = {}): AssertionFacts => ({
    requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'carol', now: server.clock(),
    attributes: { email: 'carol@acme-keypolicy.test', displayName: 'Carol Fed' }, ...more,
  });
  const master = () => company.root.agent;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Key Policy', 'dana@acme-keypolicy.test');
    idp = makeIdp();
    sp = (await master().get('/api/company/sso')).body.serviceProvider;
    const added = await master().post('/api/company/sso/providers', {
      kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: true,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id as string;
    assert.equal((await master().post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [company.root.id] })).status, 200);
    const started = await master().post(`/api/company/sso/providers/${providerId}/test`);
    await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestIdFrom(started.body.redirectTo), { nameId: 'tester' })), master());
    assert.equal((await master().post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
    const made = await apiClient(server, { scopes: ['policy:read', 'policy:write', 'users:read', 'users:write'], companyId: company.companyId });
    token = await tokenFor(server, made.client.clientId, made.clientSecret);
  });
  after(() => server.close());

  /** A browser back from the provider with trusted MFA, at the session step. */
  async function vouchedFor(nameId: string) {
    server.clock.advance(30_000);
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: nameId, companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    const answer = signedResponse(idp, facts(requestIdFrom(started.body.redirectTo), { nameId, authnContext: MFA }));
    assert.equal((await postToAcs(sp.acsUrl, answer, browser)).location, '/login');
    assert.equal((await browser.get('/api/login')).body.step, 'sso_trusted');
    return browser;
  }

  const setPolicy = async (phishingResistant: 'off' | 'masters' | 'everyone') => {
    const changed = await sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/policy`, token, { phishingResistant });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
  };

  const setsSession = (answer: { setCookies: string[] }) => answer.setCookies.some((cookie) => /^(__Host-)?gh_session=[^;]/.test(cookie));

  /** The finish gives no session and sends the login on to setting up a second factor, as after a password. */
  async function assertSentOnWithoutSession(browser: ReturnType<TestServer['agent']>) {
    const finished = await browser.post('/api/login/sso/finish');
    assert.equal(finished.status, 200, JSON.stringify(finished.body));
    assert.equal(finished.body.step, 'enroll', JSON.stringify(finished.body));
    assert.equal(setsSession(finished), false);
    assert.equal((await browser.get('/api/me')).status, 401, 'a session no key signed, made after the policy held the user to one');
    // The flow stands at that step, so the page carries on there; the session step is spent.
    assert.equal((await browser.get('/api/login')).body.step, 'enroll');
    assert.equal((await browser.post('/api/login/sso/finish')).status, 409);
  }

  test('the company comes to require keys of everyone: the finish sends the login on, with no session', async () => {
    const browser = await vouchedFor('carol');
    await setPolicy('everyone');
    try {
      await assertSentOnWithoutSession(browser);
    } finally {
      await setPolicy('off');
    }
  });

  test('the user is made a Master under a policy for Masters: the finish sends the login on, with no session', async () => {
    await setPolicy('masters');
    try {
      // Trusted as a user: the provider's MFA stands in, so the login waits at the session step.
      const browser = await vouchedFor('erin');
      const users = await sendApi(server, 'GET', `/api/v1/companies/${company.companyId}/users?limit=100`, token);
      const erin = (users.body.users as { id: string; username: string }[]).find((user) => user.username === 'erin');
      assert.ok(erin, JSON.stringify(users.body));
      const promoted = await sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/users/${erin.id}/role`, token, { role: 'master' });
      assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
      await assertSentOnWithoutSession(browser);
    } finally {
      await setPolicy('off');
    }
  });

  test('nothing changed: the finish makes the session, as before', async () => {
    const browser = await vouchedFor('frank');
    const finished = await browser.post('/api/login/sso/finish');
    assert.equal(finished.status, 200, JSON.stringify(finished.body));
    assert.equal(finished.body.step, 'done');
    assert.equal(setsSession(finished), true);
    assert.equal((await browser.get('/api/me')).status, 200);
  });
});
