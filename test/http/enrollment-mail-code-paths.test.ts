// The mailed code before enrolling again (src/login/mail-proof.ts), on the paths the main
// test (enrollment-mail-code.test.ts) does not walk: a reset carried out by a second
// Master under the two-person rule; a user who signs in through the company's OpenID
// Connect provider (the same rule, stepAfterFirstFactor, after the provider's answer); and
// the enrollment's own write (factors.ts claimFirstEnrollment), which refuses an account
// still marked from a login that did not prove the code. Over HTTP, on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, switchedOnOidcProvider, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { mailedCode } from '../helpers/enrollment-code.ts';
import { pastPassword, STRONG_PASSWORD } from '../helpers/journey.ts';
import type { TestOidcIdp } from '../helpers/oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { totpAt } from '../helpers/totp.ts';

for (const engine of await enginesUnderTest()) describe(`the mailed code before enrolling again, on every way in (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let made = 0;

  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
  });
  after(() => server.close());

  const addressOf = (person: Person) => `${person.username}@members.test`;
  const member = (company: SignedInCompany, role: 'master' | 'user' = 'user') => invitedMember(server, company, company.root.agent, { username: `${role}${++made}`, role });
  const userRow = (userId: string) => dbOf(server).selectFrom('users').select(['totp_secret', 'enroll_mail_proof']).where('id', '=', userId).executeTakeFirstOrThrow();
  const proveCode = (agent: Agent, code: string) => agent.post('/api/login/enroll/mail-code/verify', { code });

  /** The enroll step's way through with the authenticator app: the answer of its verify. */
  async function enrollApp(agent: Agent) {
    const started = await agent.post('/api/login/enroll/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    return agent.post('/api/login/enroll/verify', { code: totpAt(started.body.secret, server.clock()) });
  }

  async function resetBy(master: Person, target: { id: string }) {
    return withFreshProof(server, master.agent, () => master.agent.post(`/api/company/users/${target.id}/reset-2fa`));
  }

  test('two-person rule: the reset a second Master approves leads the next login to the mailed code, and the code to enrollment', async () => {
    const acme = await companyWithRootMaster(server, operator, 'Acme Two Person Mail', 'root@two-person-mail.test');
    const nina = await member(acme, 'master');
    const policy = await withFreshProof(server, acme.root.agent, () => acme.root.agent.post('/api/company/policy', { twoPerson2faReset: true }));
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const person = await member(acme);
    const who = { username: person.username, companyName: acme.companyName, password: STRONG_PASSWORD };

    const asked = await resetBy(acme.root, person);
    assert.deepEqual([asked.status, asked.body.status], [202, 'pending'], JSON.stringify(asked.body));
    // Only asked: the 2FA stands, the account unmarked, the login goes to the code step.
    assert.deepEqual(await userRow(person.id).then((u) => [u.totp_secret !== null, u.enroll_mail_proof]), [true, 0]);
    assert.equal((await pastPassword(server, who)).step, 'totp');

    const approved = await withFreshProof(server, nina.agent, () => nina.agent.post(`/api/company/approvals/${asked.body.approvalId}/approve`));
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.deepEqual(await userRow(person.id).then((u) => [u.totp_secret, u.enroll_mail_proof]), [null, 1], 'reset and marked');

    const { agent, step } = await pastPassword(server, who);
    assert.equal(step, 'mail_code');
    assert.equal((await agent.get('/api/login')).body.step, 'mail_code');
    const skipped = await agent.post('/api/login/enroll/start');
    assert.equal(skipped.status, 409, `no enrollment before the code: ${JSON.stringify(skipped.body)}`);

    const { code } = await mailedCode(server, agent, addressOf(person));
    const proved = await proveCode(agent, code);
    assert.deepEqual([proved.status, proved.body.step], [200, 'enroll'], JSON.stringify(proved.body));
    const done = await enrollApp(agent);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(await userRow(person.id).then((u) => [u.totp_secret !== null, u.enroll_mail_proof]), [true, 0], 'enrolled, the mark cleared');
  });

  describe('single sign-on (OpenID Connect, the provider\'s MFA not trusted)', () => {
    let okta: SignedInCompany;
    let idp: TestOidcIdp;
    before(async () => {
      okta = await companyWithRootMaster(server, operator, 'Acme Okta Mail Proof', 'root@okta-mail-proof.test');
      ({ idp } = await switchedOnOidcProvider(server, okta));
    });
    after(() => idp?.close());

    const sara = { sub: 'sub-sara', claims: { preferred_username: 'sara', email: 'sara@okta.test' }, amr: ['pwd'] };

    /** A new browser signed in at the provider as Sara and back at the login page: the step it is at. */
    async function throughProvider(): Promise<{ browser: Agent; step: string }> {
      await idp.nextUser(sara);
      const browser = server.agent();
      const identified = await browser.post('/api/login/identify', { username: 'sara', companyName: okta.companyName });
      assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
      const started = await browser.post('/api/login/sso/start');
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const back = await idp.signIn(started.body.redirectTo);
      const landed = await browser.get(back.slice(server.baseUrl.length));
      assert.equal(landed.headers.get('location'), '/login');
      const at = await browser.get('/api/login');
      assert.equal(at.status, 200, JSON.stringify(at.body));
      return { browser, step: at.body.step };
    }

    test("a Master's reset: the next sign-in through the provider stops at the mailed code, and the code leads to enrollment", async () => {
      // First sign-in: the account is made and sets up the app.
      const first = await throughProvider();
      assert.equal(first.step, 'enroll');
      const enrolled = await enrollApp(first.browser);
      assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
      const { id } = await dbOf(server).selectFrom('users').select('id').where('company_id', '=', okta.companyId).where('username', '=', 'sara').executeTakeFirstOrThrow();
      assert.deepEqual(await userRow(id).then((u) => [u.totp_secret !== null, u.enroll_mail_proof]), [true, 0]);

      const reset = await resetBy(okta.root, { id });
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      assert.equal((await userRow(id)).enroll_mail_proof, 1);

      server.clock.advance(30_000);
      const { browser, step } = await throughProvider();
      assert.equal(step, 'mail_code', 'the provider alone does not choose the next factor');
      for (const path of ['/api/login/enroll/start', '/api/login/key-enrollment/options']) {
        const skipped = await browser.post(path);
        assert.equal(skipped.status, 409, `${path}: ${JSON.stringify(skipped.body)}`);
      }
      const vouched = await dbOf(server).selectFrom('audit_events').select('detail').where('company_id', '=', okta.companyId).where('action', '=', 'sso.login_vouched').where('target', '=', id).orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.equal(JSON.parse(vouched.detail ?? '{}').next, 'mail_code');

      const { code, mail } = await mailedCode(server, browser, 'sara@okta.test');
      assert.ok(mail.to.includes('sara@okta.test'), 'mailed to the address the provider gave');
      const proved = await proveCode(browser, code);
      assert.deepEqual([proved.status, proved.body.step], [200, 'enroll'], JSON.stringify(proved.body));
      assert.equal((await browser.get('/api/login')).body.step, 'enroll');
      const done = await enrollApp(browser);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual(await userRow(id).then((u) => [u.totp_secret !== null, u.enroll_mail_proof]), [true, 0]);
    });
  });

  test('an account still marked cannot enroll from a login that did not prove the code: refused at the write', async () => {
    const acme = await companyWithRootMaster(server, operator, 'Acme Enroll Claim', 'root@enroll-claim.test');
    const person = await member(acme);
    const reset = await resetBy(acme.root, person);
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    const { agent, step } = await pastPassword(server, { username: person.username, companyName: acme.companyName, password: STRONG_PASSWORD });
    assert.equal(step, 'mail_code');
    const { code } = await mailedCode(server, agent, addressOf(person));
    assert.equal((await proveCode(agent, code)).body.step, 'enroll');

    // The race the check guards, set up by hand: a login that reached the enroll step while
    // the account was unmarked (so never proved the code), and the account marked since.
    const unproved = await dbOf(server).updateTable('login_flows').set({ mail_proved_at: null }).where('user_id', '=', person.id).where('step', '=', 'enroll').executeTakeFirst();
    assert.equal(Number(unproved.numUpdatedRows), 1, 'one login at the enroll step');

    const refused = await enrollApp(agent);
    assert.deepEqual([refused.status, refused.body.error?.code], [409, 'login.flow_expired'], JSON.stringify(refused.body));
    assert.equal((await agent.get('/api/me')).status, 401, 'no session');
    assert.deepEqual(await userRow(person.id).then((u) => [u.totp_secret, u.enroll_mail_proof]), [null, 1], 'no secret kept, still marked');
  });
});
