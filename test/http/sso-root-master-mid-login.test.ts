// No provider signs the Root Master in (refusalOf in src/sso/sign-in.ts): the provider's
// answer is refused when it names the Root Master. A Master the provider vouched for waits
// at the session step ('sso_trusted') or the code step for up to 10 minutes; the Root
// Master role handed to them meanwhile must not end in a session made on the provider's
// word (with its trusted MFA, on that word alone). The rule is held where every login's
// session is written (mayFinishLogin, src/login/lockout.ts): such a login ends as expired.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { totpAt } from '../helpers/totp.ts';

const MFA = 'https://refeds.org/profile/mfa';

for (const engine of await enginesUnderTest()) describe(`a Master made Root Master while the provider's login of them waits (${engine})`, () => {
  let server: TestServer;
  let idp: TestIdp;
  let sp: { entityId: string; acsUrl: string };
  let operator: Awaited<ReturnType<typeof operatorAgent>>;

  before(async () => {
    server = await startTestServer({ engine });
    idp = makeIdp();
    operator = await operatorAgent(server);
  });
  after(() => server?.close());

  /** A company whose provider (trusting its MFA) is on, and a Master with password and app. */
  async function companyWithProvider(name: string): Promise<{ company: SignedInCompany; mia: Person }> {
    const company = await companyWithRootMaster(server, operator, name, `dana@${name.toLowerCase().replace(/ /g, '-')}.test`);
    const mia = await invitedMember(server, company, company.root.agent, { username: 'mia', role: 'master' });
    const root = company.root.agent;
    sp = (await root.get('/api/company/sso')).body.serviceProvider;
    const added = await root.post('/api/company/sso/providers', {
      kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: true,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id as string;
    assert.equal((await root.post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [company.root.id] })).status, 200);
    const tested = await root.post(`/api/company/sso/providers/${providerId}/test`);
    await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestIdFrom(tested.body.redirectTo), 'tester', false)), root);
    assert.equal((await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
    return { company, mia };
  }

  const facts = (requestId: string, nameId: string, mfa: boolean) => ({
    requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId, now: server.clock(),
    attributes: { email: `${nameId}@members.test` }, ...(mfa ? { authnContext: MFA } : {}),
  });

  async function vouchedFor(company: SignedInCompany, nameId: string, mfa: boolean) {
    server.clock.advance(30_000);
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: nameId, companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestIdFrom(started.body.redirectTo), nameId, mfa)), browser)).location, '/login');
    return browser;
  }

  const handRootTo = async (company: SignedInCompany, userId: string) => {
    const root = company.root.agent;
    const made = await withFreshProof(server, root, () => root.post(`/api/company/users/${userId}/transfer-root-master`));
    assert.equal(made.status, 200, JSON.stringify(made.body));
  };

  test('with trusted MFA: the finish makes no session for the Master made Root Master meanwhile', async () => {
    const { company, mia } = await companyWithProvider('Acme Root Trusted');
    const browser = await vouchedFor(company, 'mia', true);
    assert.equal((await browser.get('/api/login')).body.step, 'sso_trusted');
    await handRootTo(company, mia.id);
    const finished = await browser.post('/api/login/sso/finish');
    assert.deepEqual([finished.status, finished.body.error?.code], [409, 'login.flow_expired'], JSON.stringify(finished.body));
    const me = await browser.get('/api/me');
    assert.equal(me.status, 401, `a session for the Root Master on the provider's word alone: ${JSON.stringify(me.body?.user)}`);
  });

  test("without its MFA: the code step makes no session for the Master made Root Master meanwhile (the provider stood in for the password)", async () => {
    const { company, mia } = await companyWithProvider('Acme Root Code');
    const browser = await vouchedFor(company, 'mia', false);
    assert.equal((await browser.get('/api/login')).body.step, 'totp');
    await handRootTo(company, mia.id);
    server.clock.advance(30_000);
    const coded = await browser.post('/api/login/totp', { code: totpAt(mia.totpSecret, server.clock()) });
    assert.deepEqual([coded.status, coded.body.error?.code], [409, 'login.flow_expired'], JSON.stringify(coded.body));
    const me = await browser.get('/api/me');
    assert.equal(me.status, 401, `a session for the Root Master whose first factor was the provider: ${JSON.stringify(me.body?.user)}`);
  });
});
