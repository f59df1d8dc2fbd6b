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
import { answeredByForgingProvider, switchedOnForgingProvider, type ForgingOidcIdp, type Forgery } from '../helpers/forging-oidc-idp.ts';
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
  const signIn = async (claims: Forgery['claims']) => (await answeredByForgingProvider(server, company, idp, claims)).location;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Unverified', 'dana@unverified.test');
    ({ idp } = await switchedOnForgingProvider(server, company, { trustProviderMfa: false }));
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
