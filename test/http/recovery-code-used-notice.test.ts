// Whoever holds a copy of the recovery codes (printed, downloaded) and the password signs in
// with one: the owner is mailed a security notice of each use, queued in the transaction
// that spends the code (secondFactor, src/login/second-factor.ts; recovery_code_used).
// Found by an audit of the recovery codes' lifecycle.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

for (const engine of await enginesUnderTest()) describe(`a recovery code used to sign in (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Audit Recovery Co', emailDomain: 'audit-recovery.test' });
  });
  after(() => server.close());

  async function enrolledUser() {
    const user = await tenants.signedUp();
    const agent = server.agent();
    await agent.post('/api/login/identify', user);
    assert.equal((await agent.post('/api/login/password', { password: user.password })).body.step, 'enroll');
    const totpSecret = (await agent.post('/api/login/enroll/start')).body.secret as string;
    const done = await agent.post('/api/login/enroll/verify', { code: totpAt(totpSecret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    server.clock.advance(30_000);
    return { ...user, agent, totpSecret, codes: done.body.recoveryCodes as string[] };
  }
  async function signInWithCode(user: { username: string; companyName: string; password: string }, code: string) {
    const agent = server.agent();
    await agent.post('/api/login/identify', user);
    assert.equal((await agent.post('/api/login/password', { password: user.password })).body.step, 'totp');
    const done = await agent.post('/api/login/recovery', { code });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    return { agent, done };
  }

  test('a sign-in with a recovery code mails the owner a security notice', async () => {
    const user = await enrolledUser();
    await signInWithCode(user, user.codes[0]!);
    const notice = await server.mail.waitFor((m) => m.to.includes(user.email) && m.subject === 'A Gatehouse recovery code was used to sign in');
    assert.match(notice.text, /A recovery code was used to sign in/);
    // Each use is told: the second code too.
    await signInWithCode(user, user.codes[1]!);
    await server.mail.waitFor((m) => m.to.includes(user.email) && m.subject === 'A Gatehouse recovery code was used to sign in' && m !== notice);
  });
});
