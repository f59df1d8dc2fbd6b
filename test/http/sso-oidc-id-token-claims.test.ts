// What of an ID token openid-client leaves to its caller, checked by oidcClaims
// (src/sso/oidc.ts): who it was issued to (azp) and when (iat).
//
// An ID token whose `azp` (authorized party) names another client of the provider was
// once taken as this client's. OpenID Connect Core 3.1.3.7 (5): "If an azp Claim is
// present, the Client SHOULD verify that its client_id is the Claim Value"; openid-client
// (oauth4webapi) checks azp only when `aud` is a list, so oidcClaims (src/sso/oidc.ts)
// checks it itself. Such a token was issued to that other client (which may then
// hold it), so it must not sign anyone in here, with or without the provider's MFA.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { answeredByForgingProvider, switchedOnForgingProvider, type ForgingOidcIdp } from '../helpers/forging-oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`an ID token authorized for another client, or dated later (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: ForgingOidcIdp;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Azp', 'dana@azp.test');
    ({ idp } = await switchedOnForgingProvider(server, company, { trustProviderMfa: true }));
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  test('azp naming another client: refused, nobody signed in or created', async () => {
    const { browser, location } = await answeredByForgingProvider(server, company, idp, { azp: 'another-client-of-the-provider', preferred_username: 'azp-user', amr: ['pwd', 'mfa'] });
    assert.equal(location, '/login?sso=failed');
    assert.equal((await browser.get('/api/login')).body.step, 'sso', 'the login has not moved on');
    const created = await dbOf(server).selectFrom('users').select('id').where('company_id', '=', company.companyId).where('username', '=', 'azp-user').executeTakeFirst();
    assert.equal(created, undefined, 'no user made from it');
  });

  test('iat later than the clocks can disagree: refused; a minute ahead is clock skew, and signs in', async () => {
    // The provider's clock, and the one openid-client reads exp on: the machine's.
    const inSeconds = (ms: number) => Math.floor((Date.now() + ms) / 1000);
    const { browser, location } = await answeredByForgingProvider(server, company, idp, { iat: inSeconds(60 * 60_000), exp: inSeconds(65 * 60_000), preferred_username: 'early-user', amr: ['pwd', 'mfa'] });
    assert.equal(location, '/login?sso=failed');
    assert.equal((await browser.get('/api/login')).body.step, 'sso', 'the login has not moved on');
    const created = await dbOf(server).selectFrom('users').select('id').where('company_id', '=', company.companyId).where('username', '=', 'early-user').executeTakeFirst();
    assert.equal(created, undefined, 'no user made from it');
    const skewed = await answeredByForgingProvider(server, company, idp, { iat: inSeconds(60_000), preferred_username: 'skewed-user', amr: ['pwd', 'mfa'] });
    assert.equal(skewed.location, '/login');
  });
});
