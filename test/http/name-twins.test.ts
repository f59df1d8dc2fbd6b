// A name typed with a character that NFKC makes a plain letter or sign ("ᴾ" is P, "ᶻ" z,
// "﹪" %, "︵" a parenthesis, an Arabic presentation form the letter it presents) is saved
// as that name: it must be taken by the name it then reads as, at every form that makes a
// name (public and operator account requests, a Master's invite and bulk invite, group
// create and rename, single sign-on's just-in-time user), never saved beside it as a twin.
// And an identity provider's "admın" (dotless i) is not the user "admin": case folding
// joins ı to i only in Turkish.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, type AssertionFacts, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const MFA = 'https://refeds.org/profile/mfa';

for (const engine of await enginesUnderTest()) {
  describe(`names saved as typed twins are taken (${engine})`, () => {
    let server: TestServer;
    let operator: Agent;
    let acme: SignedInCompany;
    before(async () => {
      server = await startTestServer({ engine });
      operator = await operatorAgent(server);
      acme = await companyWithRootMaster(server, operator, 'Acme Partners', 'root@acme-partners.test');
    });
    after(() => server.close());

    const request = (companyName: string, agent = server.agent(), path = '/api/account-requests') =>
      agent.post(path, { ...ACME_REQUEST, companyName, email: 'someone@twins.test' });

    test('an account request, public or by the operator, named like a company or a pending request is refused', async () => {
      // [the name that holds it (a company, or a pending request made first), the twin]
      const pairs: [string, string][] = [
        ['Acme Partners', 'Acme \u1D3Eartners'],
        ['Umbrella 100% Tools', 'Umbrella 100\uFE6A Tools'],
        ['Initech (North)', 'Initech \uFE35North\uFE36'],
        ['Zeta Labs', '\u1DBBeta Labs'],
      ];
      for (const [name] of pairs.slice(1)) assert.equal((await request(name)).status, 201, name);
      for (const [name, twin] of pairs) {
        for (const [agent, path] of [[server.agent(), '/api/account-requests'], [operator, '/api/operator/requests']] as const) {
          const answer = await request(twin, agent, path);
          assert.equal(answer.status, 409, `${JSON.stringify(twin)} (${path}) beside ${JSON.stringify(name)}: ${JSON.stringify(answer.body)}`);
          assert.equal(answer.body.error.code, 'company.name_taken');
        }
      }
      const queue = (await operator.get('/api/operator/requests')).body.requests as { companyName: string; status: string }[];
      const pending = queue.filter((r) => r.status === 'pending').map((r) => r.companyName.toLowerCase());
      assert.deepEqual(pending.filter((name, i) => pending.indexOf(name) !== i), [], 'no name twice in the queue');
      assert.equal(pending.includes('acme partners'), false, 'no request named like the company');
    });

    test('a Master cannot invite a second user who reads as an existing one, alone or in a bulk invite', async () => {
      const pairs: [string, string][] = [
        ['zed', '\u1DBBed'],
        ['Paul', '\u1D3Eaul'],
        ['\u0623\u062D\u0645\u062F', '\uFE83\u062D\u0645\u062F'],
        ['\u043F\u043E\u0434\u044A\u0435\u0437\u0434', '\u043F\u043E\u0434\uA69C\u0435\u0437\u0434'],
      ];
      let n = 0;
      const invite = (username: string, role = 'user') => acme.root.agent.post('/api/company/users', { email: `member${(n += 1)}@twins.test`, username, role });
      for (const [name] of pairs) assert.equal((await invite(name)).status, 201, name);
      for (const [name, twin] of pairs) {
        const answer = await invite(twin, 'master');
        assert.equal(answer.status, 409, `${JSON.stringify(twin)} beside ${JSON.stringify(name)}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'user.username_taken');
      }
      const csv = ['username,email,role', ...pairs.map(([, twin], i) => `${twin},bulk${i}@twins.test,user`)].join('\n');
      const bulk = await acme.root.agent.post('/api/company/users/bulk-invite', { csv });
      assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
      assert.deepEqual((bulk.body.rows as { status: string }[]).map((r) => r.status), pairs.map(() => 'refused'));
      const users = (await acme.root.agent.get('/api/company/users')).body.users as { username: string }[];
      for (const [name] of pairs) assert.equal(users.filter((u) => u.username === name).length, 1, `one user reads ${JSON.stringify(name)}`);
    });

    test('a group cannot be created or renamed to a name that reads as an existing group', async () => {
      const pairs: [string, string][] = [
        ['Payroll', '\u1D3Eayroll'],
        ['R&D (Labs)', 'R&D \uFE35Labs\uFE36'],
        ['100% Club', '100\uFE6A Club'],
      ];
      for (const [name] of pairs) assert.equal((await acme.root.agent.post('/api/company/groups', { name })).status, 201, name);
      const other = await acme.root.agent.post('/api/company/groups', { name: 'Sales' });
      assert.equal(other.status, 201, JSON.stringify(other.body));
      for (const [name, twin] of pairs) {
        const created = await acme.root.agent.post('/api/company/groups', { name: twin });
        assert.equal(created.status, 409, `${JSON.stringify(twin)} beside ${JSON.stringify(name)}: ${JSON.stringify(created.body)}`);
        assert.equal(created.body.error.code, 'group.name_taken');
        const renamed = await acme.root.agent.post(`/api/company/groups/${other.body.group.id}/rename`, { name: twin });
        assert.equal(renamed.status, 409, `rename to ${JSON.stringify(twin)}: ${JSON.stringify(renamed.body)}`);
      }
      const names = ((await acme.root.agent.get('/api/company/groups')).body.groups as { name: string }[]).map((g) => g.name).sort();
      assert.deepEqual(names, ['100% Club', 'Payroll', 'R&D (Labs)', 'Sales']);
    });
  });

  describe(`single sign-on names (${engine})`, () => {
    let server: TestServer;
    let company: SignedInCompany;
    let idp: TestIdp;
    let sp: { entityId: string; acsUrl: string };

    const facts = (requestId: string, more: Partial<AssertionFacts> = {}): AssertionFacts => ({
      requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'carol', now: server.clock(),
      attributes: { email: 'carol@acme.test', displayName: 'Carol Fed' }, ...more,
    });
    /** A sign-in started for `username` that the provider answers for `asserted`, with MFA. */
    async function signInAs(username: string, asserted: string, email: string) {
      server.clock.advance(30_000);
      const browser = server.agent();
      const identified = await browser.post('/api/login/identify', { username, companyName: company.companyName });
      assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
      const started = await browser.post('/api/login/sso/start');
      const answer = await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestIdFrom(started.body.redirectTo), { nameId: asserted, authnContext: MFA, attributes: { email, displayName: asserted } })), browser);
      return answer.location;
    }
    const usersNamed = (username: string) =>
      dbOf(server).selectFrom('users').select(['id', 'email']).where('company_id', '=', company.companyId).where('username', '=', username).orderBy('created_at').execute();

    before(async () => {
      server = await startTestServer({ engine });
      const operator = await operatorAgent(server);
      company = await companyWithRootMaster(server, operator, 'Acme Federated', 'dana@fed.test');
      idp = makeIdp();
      sp = (await company.root.agent.get('/api/company/sso')).body.serviceProvider;
      const added = await company.root.agent.post('/api/company/sso/providers', {
        kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: true,
      });
      const providerId = added.body.provider.id;
      const started = await company.root.agent.post(`/api/company/sso/providers/${providerId}/test`);
      await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestIdFrom(started.body.redirectTo), { nameId: 'tester' })), company.root.agent);
      assert.equal((await company.root.agent.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
      assert.equal((await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
      for (const [username, role] of [['admin', 'master'], ['zed', 'user'], ['Paul', 'user']] as const) {
        const invited = await company.root.agent.post('/api/company/users', { email: `${username.toLowerCase()}@fed.test`, username, role });
        assert.equal(invited.status, 201, JSON.stringify(invited.body));
      }
    });
    after(() => server?.close());

    test('a provider account named "admın" (dotless i, however written) does not sign in as the Master "admin"', async () => {
      for (const asserted of ['adm\u0131n', 'ADM\u0131N', 'adm\u{1D6A4}n']) {
        const location = await signInAs('admin', asserted, 'mallory@evil.test');
        assert.equal(location, '/login?sso=failed', `the provider's ${JSON.stringify(asserted)} was taken for "admin"`);
      }
      assert.deepEqual((await usersNamed('admin')).map((u) => u.email), ['admin@fed.test'], 'admin keeps its email');
    });

    test('a provider account whose name reads as an existing user is never provisioned beside it', async () => {
      for (const [name, asserted] of [['zed', '\u1DBBed'], ['Paul', '\u1D3Eaul']] as const) {
        const [original] = await usersNamed(name);
        await signInAs(name, asserted, `other-${name.toLowerCase()}@evil.test`);
        const named = await usersNamed(name);
        assert.deepEqual(named.map((u) => u.id), [original?.id], `the provider's ${JSON.stringify(asserted)} was provisioned as another ${JSON.stringify(name)}: ${JSON.stringify(named)}`);
      }
    });
  });
}
