// The OpenID Connect ID token is believed only when it is the provider's, for this client,
// for this request, and current: a provider of the test's own (test/helpers/forging-oidc-idp.ts)
// answers with forged, expired, misaddressed and unsigned tokens, and none signs anyone in.
// A provider whose discovery names another issuer is refused too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startForgingOidcIdp, type ForgingOidcIdp, type Forgery } from '../helpers/forging-oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`OpenID Connect ID tokens are checked (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: ForgingOidcIdp;
  let providerId: string;

  const failures = () => dbOf(server).selectFrom('audit_events').select(['id', 'detail']).where('company_id', '=', company.companyId).where('action', '=', 'sso.login_failed').execute();

  /** A browser sent to the provider: it and where the provider is to answer. */
  async function sentToProvider() {
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username: 'forged', companyName: company.companyName });
    assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    return { browser, redirectTo: started.body.redirectTo as string };
  }

  /** The provider answers the browser's request with the next ID token forged as told. */
  async function answered(sent: { browser: Agent; redirectTo: string }, forgery: Forgery) {
    idp.forgeNext(forgery);
    const back = idp.authorize(sent.redirectTo);
    const landed = await sent.browser.get(back.slice(server.baseUrl.length));
    return { browser: sent.browser, location: landed.headers.get('location') };
  }

  /** A browser's sign-in through the provider, with the next ID token forged as told. */
  const signIn = async (forgery: Forgery) => answered(await sentToProvider(), forgery);

  /** The provider's settings as a Master edits them (it stays on), with `changes`. */
  const edit = (changes: Record<string, unknown>) =>
    company.root.agent.post(`/api/company/sso/providers/${providerId}`, {
      kind: 'oidc', name: 'Acme OIDC', issuer: idp.issuer, clientId: idp.clientId, usernameAttribute: 'preferred_username', trustProviderMfa: false, ...changes,
    });
  const switchOn = (enabled: boolean) => company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled });

  /** A Test sign-in with the settings as they are, then switched on (as a Master does after an edit). */
  async function testedAndOn() {
    const root = company.root.agent;
    const tested = await root.post(`/api/company/sso/providers/${providerId}/test`);
    const back = idp.authorize(tested.body.redirectTo);
    await root.get(back.slice(server.baseUrl.length));
    const result = await root.get(`/api/company/sso/providers/${providerId}/test/${tested.body.testId}`);
    assert.equal(result.body.status, 'succeeded', JSON.stringify(result.body));
    assert.equal((await switchOn(true)).status, 200);
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
    providerId = added.body.provider.id;
    assert.equal((await root.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
    await testedAndOn();
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

  test('how the person signed in is taken from the signed ID token only: amr and acr in userinfo are no proof of MFA', async () => {
    assert.equal((await edit({ trustProviderMfa: true })).status, 200);
    try {
      const mfaAcr = 'https://refeds.org/profile/mfa';
      for (const userinfo of [{ amr: ['pwd', 'mfa'] }, { acr: mfaAcr }, { amr: ['pwd', 'otp'], acr: mfaAcr, auth_time: now() }]) {
        const { browser, location } = await signIn({ userinfo });
        assert.equal(location, '/login', JSON.stringify(userinfo));
        assert.equal((await browser.get('/api/login')).body.step, 'enroll', `userinfo ${JSON.stringify(userinfo)} was taken as MFA`);
      }
      // The same said by the signed ID token is trusted: the company trusts the provider's MFA.
      const proven = await signIn({ claims: { amr: ['pwd', 'mfa'] } });
      assert.equal((await proven.browser.get('/api/login')).body.step, 'sso_trusted');
    } finally {
      assert.equal((await edit({ trustProviderMfa: false })).status, 200);
    }
  });

  test('the stored client secret goes only to the issuer and client it was given for', async () => {
    const elsewhere = await startForgingOidcIdp();
    try {
      for (const changes of [{ issuer: elsewhere.issuer }, { clientId: 'another-client' }, { issuer: elsewhere.issuer, clientId: elsewhere.clientId }]) {
        const answer = await edit(changes);
        assert.equal(answer.status, 400, `${JSON.stringify(changes)}: ${JSON.stringify(answer.body)}`);
        assert.match(answer.body.error.fields.clientSecret, /client secret again/);
      }
      const overview = await company.root.agent.get('/api/company/sso');
      assert.deepEqual(overview.body.providers.map((p: { oidc: { issuer: string } }) => p.oidc.issuer), [idp.issuer]);
      // Kept for its own issuer and client: the next sign-in sends it there, and nowhere else.
      assert.equal((await edit({})).status, 200);
      assert.equal((await signIn({})).location, '/login');
      const sent = idp.tokenRequests.at(-1);
      const basic = Buffer.from(sent?.authorization?.replace(/^Basic /, '') ?? '', 'base64').toString();
      assert.ok(basic.endsWith(`:${encodeURIComponent(idp.clientSecret)}`) || sent?.form.get('client_secret') === idp.clientSecret);
      assert.deepEqual(elsewhere.tokenRequests, []);
    } finally {
      await elsewhere.close();
    }
  });

  test('a provider switched off signs no one in, even by answering a request made while it was on', async () => {
    const before = await sentToProvider();
    assert.equal((await switchOn(false)).status, 200);
    try {
      const late = await answered(before, {});
      assert.equal(late.location, '/login?sso=failed');
      assert.equal((await late.browser.get('/api/me')).status, 401);
      // Sent while on, answered after it went off and on again: that request is over too.
      const sent = await sentToProvider().catch(() => undefined);
      assert.equal(sent, undefined, 'no sign-in starts while it is off');
    } finally {
      await testedAndOn();
    }
    const sent = await sentToProvider();
    assert.equal((await switchOn(false)).status, 200);
    await testedAndOn();
    const answer = await answered(sent, {});
    assert.equal(answer.location, '/login?sso=failed');
    assert.equal((await answer.browser.get('/api/me')).status, 401);
  });

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
