// The login flow cookie (gh_flow) is replaced at every step where the flow moves past a
// proof, so a copy of it taken before the proof (a shared machine, malware, a proxy's log:
// the threat step-up's proof cookie answers, src/sessions/step-up-proof.ts) is worth no
// more afterwards than when it was copied: it names nothing. One mechanism renames the
// flow, atomically and only once (src/login/flows.ts moveFlowPastProof), at:
// - the code step (the app's code or a recovery code) moving on to key_enroll, where the
//   company's policy wants a key: the copy would add its own key and sign in with it;
// - the app's first code at enrollment moving on to key_enroll, likewise;
// - the identity provider's answer (SAML and OpenID Connect: sso -> sso_trusted, totp or
//   enroll): a copy of the cookie identify handed out, before any proof, would finish the
//   login or set up the account's second factor (and learn the secret the owner is shown);
// - the password step of "Use password instead" (break-glass), on a flow stored already.
// The owner's browser goes on under the new cookie and the same login id (X-Gatehouse-Login),
// what was bound to the old name (the provider's request) goes with it, and two copies of
// the same step cannot both move the flow on. Both engines: PostgreSQL renames in one
// statement, SQLite in one transaction.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { hashToken } from '../../src/crypto/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, inviteMail, invitedMember, switchedOnOidcProvider, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { policyByClient } from '../helpers/key-policy.ts';
import type { TestOidcIdp } from '../helpers/oidc-idp.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, switchedOnSamlProvider, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const MFA = 'https://refeds.org/profile/mfa';

for (const engine of await enginesUnderTest()) {
  describe(`a copy of the login flow cookie taken before a proof gains nothing from it (${engine})`, () => {
    let server: TestServer;
    let tenants: Tenants;
    before(async () => {
      server = await startTestServer({ engine });
      ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Flow Copy', emailDomain: 'flow-copy.test' }));
    });
    after(() => server.close());

    /** A second browser holding a copy of `browser`'s flow cookie as it is now. */
    function copyOfFlow(browser: Agent): Agent {
      const value = browser.cookies.get('gh_flow');
      assert.ok(value, 'the browser holds a flow cookie');
      const thief = server.agent();
      thief.cookies.set('gh_flow', value);
      return thief;
    }

    /** The copy, taken before the proof, is at no step at all now. */
    async function assertCopyNamesNothing(thief: Agent) {
      assert.equal((await thief.get('/api/login')).body.step, 'identify', 'a copy taken before the proof still names the login');
    }

    /** The owner's page goes on: its login id (X-Gatehouse-Login) is the one it was shown at identify. */
    async function assertOwnerGoesOn(owner: Agent, loginId: string, step: string) {
      const state = (await owner.get('/api/login')).body;
      assert.equal(state.step, step);
      assert.equal(state.loginId, loginId, 'the renamed flow keeps its login id');
    }

    /** The copy cannot add a key (demonstrating, if it could, that it then signs in with it). */
    async function assertCopyAddsNoKey(thief: Agent) {
      const options = await thief.post('/api/login/key-enrollment/options');
      if (options.status === 200) {
        const key = new SoftAuthenticator(server.baseUrl);
        const added = await thief.post('/api/login/key-enrollment', { name: 'Thief key', response: key.register(options.body) });
        const challenge = await thief.post('/api/login/key/options');
        const done = await thief.post('/api/login/key', { response: key.assert(challenge.body) });
        const me = await thief.get('/api/me');
        assert.fail(`a copy from before the proof added a key (${added.status}) and signed in (${done.status}) as ${me.body?.user?.username} with amr ${JSON.stringify(me.body?.session?.amr)}`);
      }
      assert.notEqual(options.status, 200);
    }

    /** The owner adds the key the policy wants, under its page's login id, and signs in with it. */
    async function ownerAddsKeyAndSignsIn(owner: Agent, loginId: string) {
      const shown = { 'x-gatehouse-login': loginId };
      const key = new SoftAuthenticator(server.baseUrl);
      const options = await owner.post('/api/login/key-enrollment/options', {}, shown);
      assert.equal(options.status, 200, JSON.stringify(options.body));
      assert.equal((await owner.post('/api/login/key-enrollment', { name: 'My key', response: key.register(options.body) }, shown)).body.step, 'totp');
      const challenge = await owner.post('/api/login/key/options', {}, shown);
      assert.equal((await owner.post('/api/login/key', { response: key.assert(challenge.body) }, shown)).body.step, 'done');
      assert.equal((await owner.get('/api/me')).status, 200);
    }

    // Each in a company of its own: the policy, once it wants a key, ends the sessions without one (its Masters' too).
    describe('the code step moving on to a key the policy wants', () => {
      let company: SignedInCompany;
      beforeEach(async () => {
        company = await tenants.signedIn();
      });

      /** `username` (enrolled, no key; the policy then wants one) past the password: the owner, the login id, and a copy taken now. */
      async function atCodeStep(username: string) {
        const member = await invitedMember(server, company, company.root.agent, { username, role: 'user' });
        await (await policyByClient(server, company.companyId))({ phishingResistant: 'everyone' });
        server.clock.advance(30_000);
        const owner = server.agent();
        const loginId = (await owner.post('/api/login/identify', { username, companyName: company.companyName })).body.loginId as string;
        assert.equal((await owner.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');
        return { member, owner, loginId, thief: copyOfFlow(owner) };
      }

      test("the app's code: a copy from the password step cannot add its own key and sign in", async () => {
        const { member, owner, loginId, thief } = await atCodeStep('kim');
        assert.equal((await owner.post('/api/login/totp', { code: totpAt(member.totpSecret, server.clock()) })).body.step, 'key_enroll');
        await assertCopyAddsNoKey(thief);
        await assertCopyNamesNothing(thief);
        await assertOwnerGoesOn(owner, loginId, 'key_enroll');
        await ownerAddsKeyAndSignsIn(owner, loginId);
      });

      /** A member invited and signed up (no second factor yet). */
      async function signedUpMember(username: string) {
        const email = `${username}@members.test`;
        const invited = await withFreshProof(server, company.root.agent, () => company.root.agent.post('/api/company/users', { email, username, role: 'user' }));
        assert.equal(invited.status, 201, JSON.stringify(invited.body));
        await signUp(server, (await inviteMail(server, company.companyName, email)).link);
      }

      test('a recovery code: the same', async () => {
        // The member's recovery codes, from their first login (before the policy wants a key).
        await signedUpMember('lena');
        const { recoveryCodes: codes = [] } = await logIn(server, server.agent(), { username: 'lena', companyName: company.companyName, password: STRONG_PASSWORD });
        await (await policyByClient(server, company.companyId))({ phishingResistant: 'everyone' });
        server.clock.advance(30_000);
        const owner = server.agent();
        const loginId = (await owner.post('/api/login/identify', { username: 'lena', companyName: company.companyName })).body.loginId as string;
        assert.equal((await owner.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');
        const thief = copyOfFlow(owner);
        const recovered = await owner.post('/api/login/recovery', { code: codes[0] });
        assert.equal(recovered.body.step, 'key_enroll', JSON.stringify(recovered.body));
        await assertCopyAddsNoKey(thief);
        await assertOwnerGoesOn(owner, loginId, 'key_enroll');
        await ownerAddsKeyAndSignsIn(owner, loginId);
      });

      test("the app's first code at enrollment: a copy from the password step cannot add its own key", async () => {
        await signedUpMember('nora');
        await (await policyByClient(server, company.companyId))({ phishingResistant: 'everyone' });
        const owner = server.agent();
        const loginId = (await owner.post('/api/login/identify', { username: 'nora', companyName: company.companyName })).body.loginId as string;
        assert.equal((await owner.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'enroll');
        const thief = copyOfFlow(owner);
        const secret = (await owner.post('/api/login/enroll/start')).body.secret as string;
        const verified = await owner.post('/api/login/enroll/verify', { code: totpAt(secret, server.clock()) });
        assert.equal(verified.body.step, 'key_enroll', JSON.stringify(verified.body));
        assert.equal(verified.body.flowToken, undefined, 'the new name travels in the cookie only');
        await assertCopyAddsNoKey(thief);
        await assertOwnerGoesOn(owner, loginId, 'key_enroll');
        await ownerAddsKeyAndSignsIn(owner, loginId);
      });

      test('two copies of the code step: only one moves the flow on (and renames it)', async () => {
        const { member, owner, thief: twin } = await atCodeStep('omar');
        const code = totpAt(member.totpSecret, server.clock());
        const answers = await Promise.all([owner.post('/api/login/totp', { code }), twin.post('/api/login/totp', { code })]);
        const moved = answers.filter((answer) => answer.body.step === 'key_enroll');
        assert.equal(moved.length, 1, JSON.stringify(answers.map((answer) => [answer.status, answer.body])));
        const names = [owner, twin].map((browser) => browser.cookies.get('gh_flow'));
        assert.notEqual(names[0], names[1], 'one of the two holds the new name, the other the old');
      });
    });

    describe('single sign-on (SAML)', () => {
      let company: SignedInCompany;
      let idp: TestIdp;
      let sp: { entityId: string; acsUrl: string };
      before(async () => {
        const operator = await tenants.operatorAgent();
        company = await companyWithRootMaster(server, operator, 'Flow Copy Federated', 'dana@flow-copy-fed.test');
        idp = makeIdp();
        ({ sp } = await switchedOnSamlProvider(company.root.agent, company.root.id, idp, { trustProviderMfa: true, now: server.clock }));
      });

      /** `username` identifies (the copy is taken here, before any proof), then answers at the provider. */
      async function answeredByProvider(username: string, authnContext?: string) {
        const owner = server.agent();
        const identified = await owner.post('/api/login/identify', { username, companyName: company.companyName });
        assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
        const thief = copyOfFlow(owner);
        const started = await owner.post('/api/login/sso/start');
        assert.equal(started.status, 200, JSON.stringify(started.body));
        const requestId = requestIdFrom(started.body.redirectTo);
        const facts = {
          requestId,
          acsUrl: sp.acsUrl,
          audience: sp.entityId,
          issuer: idp.entityId,
          nameId: username,
          now: server.clock(),
          attributes: { email: `${username}@flow-copy-fed.test` },
          ...(authnContext ? { authnContext } : {}),
        };
        assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, facts), owner)).location, '/login');
        return { owner, thief, loginId: identified.body.loginId as string, requestId };
      }

      test("the provider's answer (MFA trusted): a copy of identify's cookie cannot finish the login; the owner does", async () => {
        const { owner, thief, loginId, requestId } = await answeredByProvider('rita', MFA);
        const finished = await thief.post('/api/login/sso/finish');
        const me = await thief.get('/api/me');
        assert.equal(me.status, 401, `a copy taken before any proof finished the login (${finished.status}) and is signed in as ${me.body?.user?.username}`);
        await assertOwnerGoesOn(owner, loginId, 'sso_trusted');
        // The provider's request the flow made goes with the flow's name.
        const request = await dbOf(server).selectFrom('sso_requests').select('flow_hash').where('id', '=', requestId).executeTakeFirstOrThrow();
        assert.equal(request.flow_hash, hashToken(owner.cookies.get('gh_flow') as string));
        assert.equal((await owner.post('/api/login/sso/finish', {}, { 'x-gatehouse-login': loginId })).body.step, 'done');
        assert.equal((await owner.get('/api/me')).body.user.username, 'rita');
      });

      test("the provider's answer (a new user, no MFA): a copy of identify's cookie cannot set up the account's second factor", async () => {
        const { owner, thief, loginId } = await answeredByProvider('sam');
        await assertOwnerGoesOn(owner, loginId, 'enroll');
        const stolen = await thief.post('/api/login/enroll/start');
        const shown = await owner.post('/api/login/enroll/start', {}, { 'x-gatehouse-login': loginId });
        assert.equal(shown.status, 200, JSON.stringify(shown.body));
        assert.notEqual(
          stolen.status,
          200,
          `a copy taken before any proof was shown the enrollment secret${stolen.body?.secret === shown.body.secret ? ' (the very secret the owner is shown)' : ''}`,
        );
      });

      test('"Use password instead" (break-glass): the password step replaces the cookie identify handed out, as it does without single sign-on', async () => {
        server.clock.advance(30_000);
        const owner = server.agent();
        const identified = await owner.post('/api/login/identify', { username: company.root.username, companyName: company.companyName });
        assert.equal(identified.body.step, 'sso');
        const thief = copyOfFlow(owner);
        assert.equal((await owner.post('/api/login/sso/password')).body.step, 'password');
        const proved = await owner.post('/api/login/password', { password: STRONG_PASSWORD });
        assert.equal(proved.body.step, 'totp', JSON.stringify(proved.body));
        assert.equal(proved.body.flowToken, undefined, 'the new name travels in the cookie only');
        // The copy from before the password must not be at the code step now.
        assert.notEqual((await thief.get('/api/login')).body.step, 'totp', 'a copy taken before the password stands at the code step');
        await assertOwnerGoesOn(owner, identified.body.loginId, 'totp');
        const done = await owner.post('/api/login/totp', { code: totpAt(company.root.totpSecret, server.clock()) }, { 'x-gatehouse-login': identified.body.loginId });
        assert.equal(done.body.step, 'done', JSON.stringify(done.body));
      });

      test('"Use password instead", two copies of the password step: only one moves the flow on', async () => {
        server.clock.advance(30_000);
        const owner = server.agent();
        assert.equal((await owner.post('/api/login/identify', { username: company.root.username, companyName: company.companyName })).body.step, 'sso');
        assert.equal((await owner.post('/api/login/sso/password')).body.step, 'password');
        const twin = copyOfFlow(owner);
        const answers = await Promise.all([owner, twin].map((browser) => browser.post('/api/login/password', { password: STRONG_PASSWORD })));
        const moved = answers.filter((answer) => answer.body.step === 'totp');
        assert.equal(moved.length, 1, JSON.stringify(answers.map((answer) => [answer.status, answer.body])));
      });
    });

    describe('single sign-on (OpenID Connect)', () => {
      let company: SignedInCompany;
      let idp: TestOidcIdp;
      before(async () => {
        const operator = await tenants.operatorAgent();
        company = await companyWithRootMaster(server, operator, 'Flow Copy Okta', 'dana@flow-copy-okta.test');
        ({ idp } = await switchedOnOidcProvider(server, company));
      });
      after(() => idp?.close());

      test("the provider's answer (a new user): a copy of identify's cookie cannot set up the account's second factor", async () => {
        await idp.nextUser({ sub: 'sub-olga', claims: { preferred_username: 'olga', email: 'olga@okta.test' }, amr: ['pwd'] });
        const owner = server.agent();
        const identified = await owner.post('/api/login/identify', { username: 'olga', companyName: company.companyName });
        assert.equal(identified.body.step, 'sso');
        const thief = copyOfFlow(owner);
        const started = await owner.post('/api/login/sso/start');
        const back = await idp.signIn(started.body.redirectTo);
        const landed = await owner.get(back.slice(server.baseUrl.length));
        assert.equal(landed.headers.get('location'), '/login');
        await assertOwnerGoesOn(owner, identified.body.loginId, 'enroll');
        assert.notEqual((await thief.post('/api/login/enroll/start')).status, 200, 'a copy taken before any proof was shown the enrollment secret');
        await assertCopyNamesNothing(thief);
      });
    });
  });
}
