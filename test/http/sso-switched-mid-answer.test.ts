// A provider switched off and on again (by hand, or by another provider switched on and
// then this one again) while an OpenID Connect answer is being redeemed is not the
// provider the answer was checked against: the answer signs no one in (docs/SSO.md:
// "Switched on again, a provider takes no answer to a sign-in started before"). The
// callback takes its request before it redeems the code, and the check after the
// redemption (providerStillStands, src/sso/sign-in.ts) compares the provider's row,
// which a switch leaves as it was once switched back. The sign-in now counts only while
// the request it took still stands (takenRequestStands, src/sso/requests.ts): the
// switch-off, and the switch-on, delete it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startOidcIdp, type TestOidcIdp } from '../helpers/oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`a provider changed and changed back while an answer is redeemed (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestOidcIdp;
  let providerId: string;
  let secondId: string;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Off And On', 'dana@offon.test');
    const root = company.root.agent;
    idp = await startOidcIdp((await root.get('/api/company/sso')).body.serviceProvider.oidcRedirectUri);
    /** A provider of this IdP, added and tried with a Test sign-in (not switched on): its id. */
    const addedAndTested = async (name: string): Promise<string> => {
      const added = await root.post('/api/company/sso/providers', {
        kind: 'oidc', name, issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, usernameAttribute: 'preferred_username', trustProviderMfa: true,
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      await idp.nextUser({ sub: 'sub-tester', claims: { preferred_username: 'tester' } });
      const tested = await root.post(`/api/company/sso/providers/${added.body.provider.id}/test`);
      await root.get((await idp.signIn(tested.body.redirectTo)).slice(server.baseUrl.length));
      return added.body.provider.id;
    };
    providerId = await addedAndTested('Acme Okta');
    // A second one, so that switching it on switches the first one off.
    secondId = await addedAndTested('Acme Okta (second)');
    assert.equal((await root.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
    assert.equal((await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  /** A sign-in through the provider whose code redemption is held while `meanwhile` runs: where the browser landed, and the user the answer named. */
  async function redeemedAround(username: string, meanwhile: () => Promise<void>) {
    await idp.nextUser({ sub: `sub-${username}`, claims: { preferred_username: username, email: `${username}@okta.test` }, amr: ['pwd', 'otp'] });
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username, companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const callback = (await idp.signIn(started.body.redirectTo)).slice(server.baseUrl.length);
    const hold = await idp.holdNextTokenRequest();
    const landing = browser.get(callback);
    await hold.held();
    await meanwhile();
    await hold.release();
    const landed = await landing;
    const user = await dbOf(server).selectFrom('users').select('id').where('company_id', '=', company.companyId).where('username', '=', username).executeTakeFirst();
    return { browser, location: landed.headers.get('location'), user };
  }

  test('an answer redeemed while another provider was switched on (switching this one off), then this one again, signs no one in', async () => {
    const root = company.root.agent;
    const { browser, location, user } = await redeemedAround('nadia', async () => {
      assert.equal((await root.post(`/api/company/sso/providers/${secondId}/enabled`, { enabled: true })).status, 200);
      assert.equal((await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
    });
    assert.equal(location, '/login?sso=failed', 'the provider was off for a while during the redemption');
    assert.equal((await browser.get('/api/me')).status, 401);
    assert.equal(user, undefined, 'no one is made from the answer');
  });

  test('an answer to a sign-in started before the switch-off signs no one in, though the provider is on again when it is redeemed', async () => {
    const root = company.root.agent;
    // Gatehouse has taken the answer's state and waits on the provider for the code's tokens,
    // while the Master switches the provider off (every pending sign-in ends), then on again.
    const { browser, location, user } = await redeemedAround('omar', async () => {
      assert.equal((await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: false })).status, 200);
      assert.equal((await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
    });
    assert.equal(location, '/login?sso=failed', 'the answer to a sign-in from before the switch-off counts for nothing');
    assert.notEqual((await browser.get('/api/login')).body.step, 'sso_trusted');
    assert.equal((await browser.get('/api/me')).status, 401);
    assert.equal(user, undefined, 'no one is made from the answer');
  });
});
