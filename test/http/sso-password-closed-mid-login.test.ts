// Whether a password may still sign a user in is decided again when the login's session is
// made, not only at the password step. A company can close passwords to most of its users
// (single sign-on in 'sso-only' mode, only break-glass users and the Root Master keep one):
// a login that passed its password before the change and waits at the code step must not
// finish with a session after it, whatever closed it (the mode set to 'sso-only', the user
// taken off the break-glass list, the provider switched on). Before, the code step read
// nothing of it again, so a password login begun a moment before the change went on to
// make a session for minutes after.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { totpAt } from '../helpers/totp.ts';

for (const engine of await enginesUnderTest()) describe(`a password closed while its login waits at the code step (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let ops: Person;
  let mia: Person;
  let providerId: string;

  const root = () => company.root.agent;
  const settings = async (body: Record<string, unknown>) => {
    const changed = await withFreshProof(server, root(), () => root().post('/api/company/sso', body));
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
  };
  const switchProvider = async (enabled: boolean) => {
    const switched = await withFreshProof(server, root(), () => root().post(`/api/company/sso/providers/${providerId}/enabled`, { enabled }));
    assert.equal(switched.status, 200, JSON.stringify(switched.body));
  };

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Closing', 'dana@closing.test');
    ops = await invitedMember(server, company, root(), { username: 'ops', role: 'user' });
    mia = await invitedMember(server, company, root(), { username: 'mia', role: 'master' });
    const idp = makeIdp();
    const sp = (await root().get('/api/company/sso')).body.serviceProvider;
    const added = await root().post('/api/company/sso/providers', {
      kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    providerId = added.body.provider.id;
    const started = await root().post(`/api/company/sso/providers/${providerId}/test`);
    await postToAcs(sp.acsUrl, signedResponse(idp, {
      requestId: requestIdFrom(started.body.redirectTo), acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'tester', now: server.clock(), attributes: {},
    }), root());
  });
  after(() => server?.close());

  /** A fresh browser through the password, waiting at the code step. */
  async function atCodeStep(person: Person): Promise<Agent> {
    server.clock.advance(30_000);
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username: person.username, companyName: company.companyName });
    if (identified.body.step === 'sso') assert.equal((await browser.post('/api/login/sso/password')).body.step, 'password');
    const passed = await browser.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.equal(passed.body.step, 'totp', JSON.stringify(passed.body));
    return browser;
  }

  /** The right code at the code step, then whether the browser holds a session. */
  async function finish(browser: Agent, person: Person) {
    const answer = await browser.post('/api/login/totp', { code: totpAt(person.totpSecret, server.clock()) });
    return { answer, signedIn: (await browser.get('/api/me')).status === 200 };
  }

  async function assertNoSession(browser: Agent, person: Person) {
    const { answer, signedIn } = await finish(browser, person);
    assert.equal(signedIn, false, `a session after the password was closed: ${answer.status} ${JSON.stringify(answer.body)}`);
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, 'login.flow_expired');
    // Starting again, the login page sends this user to the provider.
    assert.equal((await browser.post('/api/login/identify', { username: person.username, companyName: company.companyName })).body.step, 'sso');
  }

  test("the mode set to 'sso-only': a user's password login begun before it makes no session", async () => {
    await settings({ mode: 'sso-plus-password', breakGlassUserIds: [company.root.id, mia.id] });
    await switchProvider(true);
    try {
      const browser = await atCodeStep(ops);
      // A break-glass Master at the same step still finishes: the rule is the mode's, not the change's.
      const glass = await atCodeStep(mia);
      await settings({ mode: 'sso-only' });
      await assertNoSession(browser, ops);
      assert.equal((await finish(glass, mia)).signedIn, true);
    } finally {
      await switchProvider(false);
    }
  });

  test('taken off the break-glass list: the Master\'s password login begun before it makes no session', async () => {
    await settings({ mode: 'sso-only', breakGlassUserIds: [company.root.id, mia.id] });
    await switchProvider(true);
    try {
      const browser = await atCodeStep(mia);
      await settings({ breakGlassUserIds: [company.root.id] });
      await assertNoSession(browser, mia);
    } finally {
      await switchProvider(false);
    }
  });

  test("the provider switched on in 'sso-only' mode: a password login begun while it was off makes no session", async () => {
    await settings({ mode: 'sso-only', breakGlassUserIds: [company.root.id] });
    const browser = await atCodeStep(ops);
    // The Root Master is never closed out: the same moment, the same step, a session.
    const rootBrowser = await atCodeStep(company.root);
    await switchProvider(true);
    try {
      await assertNoSession(browser, ops);
      assert.equal((await finish(rootBrowser, company.root)).signedIn, true);
    } finally {
      await switchProvider(false);
    }
  });
});
