// A login checks the company's IP allowlist at its password step, then waits at its last
// step (the code, or the first login's enrollment) for minutes. A Master who narrows the allowlist meanwhile ends at once every session
// signed in from an address it now excludes (companies/policy.ts endExcludedSessions): the
// login still waiting must not then mint one from such an address either. Minted, that
// session is refused while the list stands, but it is not ended as the others were: once a
// Master widens or clears the list again, the browser is signed in, from an address that
// was excluded when its login finished. So the list is read again where every session is
// made (second-factor.ts loginRows), by each way of finishing, and that write holds only
// while the company's list is still the one checked (lockout.ts mayFinishLogin): a code
// step in flight when the list is narrowed is refused too. Over HTTP, on both engines, behind a proxy that
// names the client's address (GATEHOUSE_TRUST_PROXY) so the login and the Master differ.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, inviteMail, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextTransaction, racedAtHold } from '../helpers/held-transaction.ts';
import { signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { totpAt } from '../helpers/totp.ts';

/** The login's address, outside the allowlist the Master sets (the Master calls from 127.0.0.1, no proxy header). */
const OUTSIDE = { 'x-forwarded-for': '203.0.113.77' };

for (const engine of await enginesUnderTest()) describe(`an allowlist narrowed while a login waits at its code step (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let made = 0;

  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' } });
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Allowlist Late', 'root@allowlist-late.test');
  });
  after(() => server.close());

  const setAllowlist = async (ipAllowlist: string[]) => {
    const saved = await withFreshProof(server, acme.root.agent, () => acme.root.agent.post('/api/company/policy', { ipAllowlist }));
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
  };

  /** A new browser of `who`, from OUTSIDE, past the password step (the list still empty): at the code step. */
  async function atCodeStep(who: Person) {
    server.clock.advance(30_000);
    const agent = server.agent();
    assert.equal((await agent.post('/api/login/identify', { username: who.username, companyName: acme.companyName }, OUTSIDE)).status, 200);
    const password = await agent.post('/api/login/password', { password: STRONG_PASSWORD }, OUTSIDE);
    assert.equal(password.status, 200, JSON.stringify(password.body));
    assert.equal(password.body.step, 'totp');
    return agent;
  }

  /** Refused as the password step refuses an excluded address, and nothing signs the browser in once the list is cleared. */
  async function assertRefusedThenNothing(answer: { status: number; body: any }, browser: ReturnType<TestServer['agent']>) {
    assert.equal(answer.status, 403, `a login finished from an excluded address: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.error.code, 'login.ip_not_allowed');
    await setAllowlist([]);
    const me = await browser.get('/api/me', OUTSIDE);
    assert.equal(me.status, 401, `a login finished while its address was excluded is signed in once the list is cleared: ${JSON.stringify(me.body)}`);
  }

  test('the code step mints no session from an address the list now excludes, and none comes back when the list is cleared', async () => {
    const member = await invitedMember(server, acme, acme.root.agent, { username: `member${++made}`, role: 'user' });
    const browser = await atCodeStep(member);

    // Meanwhile the Master narrows the list to the office (their own address).
    await setAllowlist(['127.0.0.1']);

    const code = await browser.post('/api/login/totp', { code: totpAt(member.totpSecret, server.clock()) }, OUTSIDE);
    await assertRefusedThenNothing(code, browser);
  });

  test("the first login's enrollment mints no session from an address the list now excludes", async () => {
    const username = `newcomer${++made}`;
    const email = `${username}@allowlist-late.test`;
    const invited = await withFreshProof(server, acme.root.agent, () => acme.root.agent.post('/api/company/users', { email, username, role: 'user' }));
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    await signUp(server, (await inviteMail(server, acme.companyName, email)).link);
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username, companyName: acme.companyName }, OUTSIDE)).status, 200);
    assert.equal((await browser.post('/api/login/password', { password: STRONG_PASSWORD }, OUTSIDE)).body.step, 'enroll');
    const enrollment = await browser.post('/api/login/enroll/start', {}, OUTSIDE);
    assert.equal(enrollment.status, 200, JSON.stringify(enrollment.body));

    await setAllowlist(['127.0.0.1']);

    const verified = await browser.post('/api/login/enroll/verify', { code: totpAt(enrollment.body.secret, server.clock()) }, OUTSIDE);
    await assertRefusedThenNothing(verified, browser);
  });

  test('the code step mints no session from an address excluded while it was in flight', async () => {
    // Held just before its transaction: past the policy it read as it came in, before the
    // write. The write holds only while the list is still the one checked (mayFinishLogin).
    const member = await invitedMember(server, acme, acme.root.agent, { username: `racer${++made}`, role: 'user' });
    const browser = await atCodeStep(member);
    const answer = await racedAtHold(
      holdNextTransaction(server, '/src/login/code-attempt.ts'),
      () => browser.post('/api/login/totp', { code: totpAt(member.totpSecret, server.clock()) }, OUTSIDE),
      // Meanwhile the Master narrows the list to the office (their own address).
      () => setAllowlist(['127.0.0.1']),
    );
    await setAllowlist([]);
    const me = await browser.get('/api/me', OUTSIDE);
    assert.equal(me.status, 401, `a login finished after its address was excluded is signed in once the list is cleared (code step answered ${answer.status} ${JSON.stringify(answer.body)})`);
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
  });
});
