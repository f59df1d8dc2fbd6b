// Who a provider's answer signs in is decided by the name it asserts: that name must be the
// user's own, as the provider wrote it. Two ways it was not, each reproduced over HTTP
// with a provider of the test's own (test/helpers/forging-oidc-idp.ts), on both engines:
// - the username rule saves a name in its compatibility form (NFKC), so the provider's
//   "ａｄｍｉｎ" (fullwidth), "𝐚𝐝𝐦𝐢𝐧", "ᵃᵈᵐⁱⁿ" or "ⓐⓓⓜⓘⓝ", other accounts at the provider,
//   signed in the Master admin (with the company trusting the provider's MFA: a session);
//   and full case folding made the provider's "maße" the user "masse";
// - an address the provider says it has not verified (email_verified: false), typed by
//   whoever holds the account there, signed in the user whose name it is when the
//   username attribute is `email` ("nOAuth"), and replaced a user's stored address.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { answeredByForgingProvider, startForgingOidcIdp, type ForgingOidcIdp, type Forgery } from '../helpers/forging-oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`the provider's name for a user, as it wrote it (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: ForgingOidcIdp;
  let providerId: string;
  let admin: Person;
  let boss: Person;

  const users = () => dbOf(server).selectFrom('users').select(['id', 'username', 'email', 'display_name']).where('company_id', '=', company.companyId).orderBy('username').execute();
  const failures = () => dbOf(server).selectFrom('audit_events').select(['id', 'detail']).where('company_id', '=', company.companyId).where('action', '=', 'sso.login_failed').execute();

  /** The provider's settings as a Master edits them; then a Test sign-in and switched on again. */
  async function configured(usernameAttribute: string) {
    const root = company.root.agent;
    const edited = await root.post(`/api/company/sso/providers/${providerId}`, {
      kind: 'oidc', name: 'Acme OIDC', issuer: idp.issuer, clientId: idp.clientId, usernameAttribute, trustProviderMfa: true,
    });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    const tested = await root.post(`/api/company/sso/providers/${providerId}/test`);
    idp.forgeNext({ claims: { preferred_username: 'tester', email: 'tester@names.test', email_verified: true } });
    await root.get(idp.authorize(tested.body.redirectTo).slice(server.baseUrl.length));
    const result = await root.get(`/api/company/sso/providers/${providerId}/test/${tested.body.testId}`);
    assert.equal(result.body.status, 'succeeded', JSON.stringify(result.body));
    assert.equal((await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
  }

  /** A sign-in through the provider, which answers with `claims` and proven MFA (trusted): who it signed in, if anyone. */
  async function signIn(claims: Forgery['claims']) {
    const { browser, location } = await answeredByForgingProvider(server, company, idp, { amr: ['pwd', 'mfa'], ...claims });
    if (location !== '/login') return { location, user: undefined };
    assert.equal((await browser.get('/api/login')).body.step, 'sso_trusted');
    assert.equal((await browser.post('/api/login/sso/finish')).status, 200);
    return { location, user: (await browser.get('/api/me')).body.user as { id: string; username: string; email: string; role: string } };
  }

  /** A sign-in the provider's answer must not make: nobody signed in, no one created or changed; the audited reason. */
  async function refused(claims: Forgery['claims'], why: string) {
    const [usersBefore, failuresBefore] = [await users(), new Set((await failures()).map((row) => row.id))];
    const { location, user } = await signIn(claims);
    assert.equal(location, '/login?sso=failed', `${why}: signed in ${JSON.stringify(user)}`);
    assert.deepEqual(await users(), usersBefore, `${why}: no one created or changed`);
    const added = (await failures()).filter((row) => !failuresBefore.has(row.id));
    assert.equal(added.length, 1, `${why}: audited`);
    return JSON.parse(added[0]?.detail ?? '{}').reason as string;
  }

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Provider Names', 'dana@names.test');
    admin = await invitedMember(server, company, company.root.agent, { username: 'admin', role: 'master' });
    boss = await invitedMember(server, company, company.root.agent, { username: 'boss@names.test', role: 'master', email: 'boss@names.test' });
    idp = await startForgingOidcIdp();
    const added = await company.root.agent.post('/api/company/sso/providers', {
      kind: 'oidc', name: 'Acme OIDC', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, usernameAttribute: 'preferred_username', trustProviderMfa: true,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    providerId = added.body.provider.id;
    assert.equal((await company.root.agent.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
    await configured('preferred_username');
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  test("a compatibility form of a Master's name (fullwidth, mathematical, superscript, circled) signs nobody in and creates no one", async () => {
    for (const name of ['ａｄｍｉｎ', '𝐚𝐝𝐦𝐢𝐧', 'ᵃᵈᵐⁱⁿ', 'ⓐⓓⓜⓘⓝ', 'ＡＤＭＩＮ']) {
      const reason = await refused({ sub: `sub-${name}`, preferred_username: name }, name);
      assert.match(reason, /not written as a username is saved \("(admin|ADMIN)"\)/, reason);
    }
    // Nor a new user under the name it folds to, for the real one to find later.
    const reason = await refused({ sub: 'sub-fullwidth-newcomer', preferred_username: 'ｎｅｗｃｏｍｅｒ' }, 'a new name');
    assert.match(reason, /not written as a username is saved/);
    // The name itself, in capitals, is admin's: the provider works.
    const { user } = await signIn({ sub: 'sub-admin', preferred_username: 'ADMIN' });
    assert.equal(user?.id, admin.id);
  });

  test('"ß" is not "ss": a provider\'s "maße" does not sign in the user "masse"', async () => {
    const masse = await signIn({ sub: 'sub-masse', preferred_username: 'masse' });
    assert.equal(masse.user?.username, 'masse');
    const reason = await refused({ sub: 'sub-masze', preferred_username: 'maße' }, 'ß for ss');
    assert.match(reason, /only looks like the user "masse"/);
    // The same name in capitals is still the user.
    assert.equal((await signIn({ sub: 'sub-masse', preferred_username: 'MASSE' })).user?.id, masse.user?.id);
  });

  test('an email the provider has not verified signs in nobody whose name it is (username attribute email)', async () => {
    await configured('email');
    try {
      // Every way of not saying yes: a boolean, its spellings, a number.
      for (const flag of [false, 'false', 'FALSE', 0, 'no']) {
        const reason = await refused({ sub: 'sub-mallory', preferred_username: 'mallory', email: 'boss@names.test', email_verified: flag }, `email_verified ${JSON.stringify(flag)}`);
        assert.match(reason, /not verified/);
      }
      // Verified (or not said, as Entra ID sends it) it is the user's.
      assert.equal((await signIn({ sub: 'sub-boss', email: 'boss@names.test', email_verified: true })).user?.id, boss.id);
      assert.equal((await signIn({ sub: 'sub-boss', email: 'boss@names.test', email_verified: 'True' })).user?.id, boss.id);
      assert.equal((await signIn({ sub: 'sub-boss', email: 'BOSS@names.test' })).user?.id, boss.id);
    } finally {
      await configured('preferred_username');
    }
  });

  test("an address the provider has not verified is not stored: neither over a user's address nor as a new user's", async () => {
    const eve = await signIn({ sub: 'sub-eve', preferred_username: 'eve', email: 'eve@names.test', email_verified: true });
    assert.equal(eve.user?.email, 'eve@names.test');
    const moved = await signIn({ sub: 'sub-eve', preferred_username: 'eve', email: 'victim@elsewhere.test', email_verified: false });
    assert.equal(moved.user?.id, eve.user?.id, 'she still signs in');
    assert.equal(moved.user?.email, 'eve@names.test', 'her address stays');
    const frank = await signIn({ sub: 'sub-frank', preferred_username: 'frank', email: 'victim@elsewhere.test', email_verified: 'false' });
    assert.equal(frank.user?.username, 'frank');
    assert.equal(frank.user?.email, '', 'created without an address');
    const mailed = server.mail.messages.filter((m) => m.to.includes('victim@elsewhere.test'));
    assert.deepEqual(mailed, [], 'nothing mailed to the unverified address');
  });
});
