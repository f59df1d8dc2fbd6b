// The OpenID Connect ID token is believed only when it is the provider's, for this client,
// for this request, and current: a provider of the test's own (test/helpers/forging-oidc-idp.ts)
// answers with forged, expired, misaddressed and unsigned tokens, and none signs anyone in.
// A provider whose discovery names another issuer is refused too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startForgingOidcIdp, type ForgingOidcIdp, type Forgery } from '../helpers/forging-oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`OpenID Connect ID tokens are checked (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: ForgingOidcIdp;

  const failures = () => dbOf(server).selectFrom('audit_events').select(['id', 'detail']).where('company_id', '=', company.companyId).where('action', '=', 'sso.login_failed').execute();

  /** A browser's sign-in through the provider, with the next ID token forged as told. */
  async function signIn(forgery: Forgery) {
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username: 'forged', companyName: company.companyName });
    assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    idp.forgeNext(forgery);
    const back = idp.authorize(started.body.redirectTo);
    const landed = await browser.get(back.slice(server.baseUrl.length));
    return { browser, location: landed.headers.get('location') };
  }

  before(async () => {
    server = await startTestServer({ engine });
    const operator = await operatorAgent(server);
    company = await companyWithRootMaster(server, operator, 'Acme Forged Tokens', 'dana@forged.test');
    idp = await startForgingOidcIdp();
    const root = company.root.agent;
    const added = await root.post('/api/company/sso/providers', {
      kind: 'oidc', name: 'Acme OIDC', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, usernameAttribute: 'preferred_username', trustProviderMfa: false,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id;
    const tested = await root.post(`/api/company/sso/providers/${providerId}/test`);
    const back = idp.authorize(tested.body.redirectTo);
    await root.get(back.slice(server.baseUrl.length));
    const result = await root.get(`/api/company/sso/providers/${providerId}/test/${tested.body.testId}`);
    assert.equal(result.body.status, 'succeeded', JSON.stringify(result.body));
    assert.equal((await root.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
    assert.equal((await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  test('a good ID token signs in (the forging provider is a working one)', async () => {
    const { browser, location } = await signIn({});
    assert.equal(location, '/login');
    assert.equal((await browser.get('/api/login')).body.step, 'enroll');
  });

  const now = () => Math.floor(Date.now() / 1000);
  const forgeries: Array<[string, () => Forgery]> = [
    ['another issuer', () => ({ claims: { iss: 'https://evil.example.test' } })],
    ['another audience', () => ({ claims: { aud: 'someone-else' } })],
    ['an audience list without this client', () => ({ claims: { aud: ['someone-else', 'another'] } })],
    ['expired an hour ago', () => ({ claims: { iat: now() - 7200, exp: now() - 3600 } })],
    ['no expiry', () => ({ claims: { exp: undefined } })],
    ["another request's nonce", () => ({ claims: { nonce: 'a-nonce-from-another-request' } })],
    ['no nonce', () => ({ claims: { nonce: undefined } })],
    ["a stranger's signature", () => ({ signer: 'stranger' })],
    ['alg none, unsigned', () => ({ signer: 'none' })],
  ];
  for (const [what, forgery] of forgeries) {
    test(`an ID token with ${what} is refused and signs nobody in`, async () => {
      const before = new Set((await failures()).map((row) => row.id));
      const { browser, location } = await signIn(forgery());
      assert.equal(location, '/login?sso=failed', what);
      assert.equal((await browser.get('/api/me')).status, 401);
      assert.equal((await browser.get('/api/login')).body.step, 'sso', 'the login has not moved on');
      const added = (await failures()).filter((row) => !before.has(row.id));
      assert.equal(added.length, 1, `${what}: audited`);
    });
  }

  test('a provider whose discovery names another issuer is refused when added, and its tokens at sign-in', async () => {
    const other = await startForgingOidcIdp();
    try {
      other.discoveryIssuer = 'https://login.example.test/other-tenant';
      const added = await company.root.agent.post('/api/company/sso/providers', {
        kind: 'oidc', name: 'Moved', issuer: other.issuer, clientId: other.clientId, clientSecret: other.clientSecret, usernameAttribute: 'preferred_username', trustProviderMfa: false,
      });
      assert.deepEqual([added.status, added.body.error.code], [400, 'sso.discovery_failed']);
    } finally {
      await other.close();
    }
    // The provider already on changes its issuer: its tokens, naming the new one, are refused.
    idp.discoveryIssuer = 'https://login.example.test/moved';
    try {
      const { location } = await signIn({ claims: { iss: 'https://login.example.test/moved' } });
      assert.equal(location, '/login?sso=failed');
    } finally {
      idp.discoveryIssuer = idp.issuer;
    }
  });
});
