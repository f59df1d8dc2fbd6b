// "An address the provider has not verified counts as no address" (docs/SSO.md), under
// every name an address goes by. oidcIdentity (src/sso/identity.ts) once dropped only
// `email` when `email_verified` is not true, and then read the address from the other
// names it knows for one (`mail`, `urn:oid:0.9.2342.19200300.100.1.3`, the WS-Federation `emailaddress`
// claim), which a provider may send beside `email` from the same profile field. The
// unverified address, typed by whoever holds the account at the provider, then replaced a
// user's stored address (where resets and notices go) and became a new user's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startForgingOidcIdp, type ForgingOidcIdp, type Forgery } from '../helpers/forging-oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const VICTIM = 'victim@elsewhere.test';
// The names besides `email` that identity.ts reads an address from.
const OTHER_NAMES = ['mail', 'urn:oid:0.9.2342.19200300.100.1.3', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'];

for (const engine of await enginesUnderTest()) describe(`an address the provider has not verified, under any claim name (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: ForgingOidcIdp;

  const userNamed = (username: string) =>
    dbOf(server).selectFrom('users').select(['id', 'email']).where('company_id', '=', company.companyId).where('username', '=', username).executeTakeFirst();

  /** A sign-in through the provider answering with `claims`; where the browser lands. */
  async function signIn(claims: Forgery['claims']) {
    server.clock.advance(1_000);
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: 'someone', companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    idp.forgeNext({ claims });
    const landed = await browser.get(idp.authorize(started.body.redirectTo).slice(server.baseUrl.length));
    return landed.headers.get('location');
  }

  before(async () => {
    server = await startTestServer({ engine });
    const operator = await operatorAgent(server);
    company = await companyWithRootMaster(server, operator, 'Acme Unverified', 'dana@unverified.test');
    idp = await startForgingOidcIdp();
    const root = company.root.agent;
    const added = await root.post('/api/company/sso/providers', {
      kind: 'oidc', name: 'Acme OIDC', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, usernameAttribute: 'preferred_username', trustProviderMfa: false,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id;
    assert.equal((await root.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
    const tested = await root.post(`/api/company/sso/providers/${providerId}/test`);
    idp.forgeNext({ claims: { preferred_username: 'tester', email: 'tester@unverified.test', email_verified: true } });
    await root.get(idp.authorize(tested.body.redirectTo).slice(server.baseUrl.length));
    assert.equal((await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  for (const name of OTHER_NAMES) {
    test(`email_verified false: the same address as "${name}" is not stored over a user's address, nor as a new user's`, async () => {
      const username = `eve${OTHER_NAMES.indexOf(name)}`;
      const own = `${username}@unverified.test`;
      assert.equal(await signIn({ sub: `sub-${username}`, preferred_username: username, email: own, email_verified: true }), '/login');
      assert.equal((await userNamed(username))?.email, own);

      // The provider says the address is not verified; the profile's address also comes under another name.
      assert.equal(await signIn({ sub: `sub-${username}`, preferred_username: username, email: VICTIM, email_verified: false, [name]: VICTIM }), '/login');
      assert.equal((await userNamed(username))?.email, own, 'the stored address stays');

      const newcomer = `frank${OTHER_NAMES.indexOf(name)}`;
      assert.equal(await signIn({ sub: `sub-${newcomer}`, preferred_username: newcomer, email: VICTIM, email_verified: false, [name]: VICTIM }), '/login');
      assert.equal((await userNamed(newcomer))?.email, '', 'a new user is created without an address');
    });
  }
});
