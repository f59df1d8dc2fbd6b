// The allowlist is checked again where the session is made (second-factor.ts loginRows),
// on the policy the code step read as its request came in, before the transaction that
// writes the session. A Master who narrows the list after that read and before that write
// ends every excluded session (companies/policy.ts); the login then minted one from an
// excluded address anyway, and once the list was cleared again that browser was signed
// in. Now the write holds only while the company's list is still the one checked
// (mayFinishLogin), and a login that finds it changed checks the list as it stands. Raced by holding the code step just
// before its transaction begins (held-transaction.ts). Over HTTP, on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextTransaction } from '../helpers/held-transaction.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { totpAt } from '../helpers/totp.ts';

const OUTSIDE = { 'x-forwarded-for': '203.0.113.78' };

for (const engine of await enginesUnderTest()) describe(`an allowlist narrowed while the code step is in flight (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;

  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' } });
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Allowlist Race', 'root@allowlist-race.test');
  });
  after(() => server.close());

  const setAllowlist = async (ipAllowlist: string[]) => {
    const saved = await withFreshProof(server, acme.root.agent, () => acme.root.agent.post('/api/company/policy', { ipAllowlist }));
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
  };

  test('the code step mints no session from an address excluded while it was in flight', async () => {
    const member = await invitedMember(server, acme, acme.root.agent, { username: 'racer', role: 'user' });
    server.clock.advance(30_000);
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: member.username, companyName: acme.companyName }, OUTSIDE)).status, 200);
    const password = await browser.post('/api/login/password', { password: STRONG_PASSWORD }, OUTSIDE);
    assert.equal(password.body.step, 'totp', JSON.stringify(password.body));

    const hold = holdNextTransaction(server, '/src/login/code-attempt.ts');
    let answer;
    try {
      const code = browser.post('/api/login/totp', { code: totpAt(member.totpSecret, server.clock()) }, OUTSIDE);
      let held = false;
      await Promise.race([hold.atHold.then(() => (held = true)), code]);
      if (!held) assert.fail(`answered before it was held: ${JSON.stringify((await code).body)}`);
      // Meanwhile the Master narrows the list to the office (their own address).
      await setAllowlist(['127.0.0.1']);
      hold.release();
      answer = await code;
    } finally {
      hold.release();
      hold.restore();
    }
    await setAllowlist([]);
    const me = await browser.get('/api/me', OUTSIDE);
    assert.equal(me.status, 401, `a login finished after its address was excluded is signed in once the list is cleared (code step answered ${answer.status} ${JSON.stringify(answer.body)})`);
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
  });
});
