// A phone lost: the recovery codes stand for the app at the login, and now at the own 2FA
// reset too (POST /api/me/two-factor/reset with the password and one unused recovery code),
// so the owner sets up a new authenticator without asking a Master and without spending a
// code a login at a time. The code is spent in the reset's own transaction (single use),
// wrong ones count toward the lockout as wrong app codes do; step-up (/api/me/reauth) still
// takes only the app's code or a key. Found by an audit of the recovery codes' lifecycle.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

for (const engine of await enginesUnderTest()) describe(`the own 2FA reset with a recovery code (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Lost Phone Co', emailDomain: 'lost-phone.test' });
  });
  after(() => server.close());

  /** Enrolled, then signed in with a recovery code (the phone is gone). */
  async function signedInWithRecoveryCode() {
    const user = await tenants.signedUp();
    const enrolling = server.agent();
    await enrolling.post('/api/login/identify', user);
    assert.equal((await enrolling.post('/api/login/password', { password: user.password })).body.step, 'enroll');
    const secret = (await enrolling.post('/api/login/enroll/start')).body.secret as string;
    const enrolled = await enrolling.post('/api/login/enroll/verify', { code: totpAt(secret, server.clock()) });
    const codes = enrolled.body.recoveryCodes as string[];
    server.clock.advance(30_000);
    const agent = server.agent();
    await agent.post('/api/login/identify', user);
    assert.equal((await agent.post('/api/login/password', { password: user.password })).body.step, 'totp');
    assert.equal((await agent.post('/api/login/recovery', { code: codes[0] })).status, 200);
    return { ...user, agent, codes };
  }

  test('the password and an unused recovery code reset it; the next login sets up 2FA again', async () => {
    const user = await signedInWithRecoveryCode();
    // Step-up is not a reset: it still asks for the app's code or a key.
    assert.equal((await user.agent.post('/api/me/reauth', { password: user.password, recoveryCode: user.codes[1] })).status, 400);
    const used = await user.agent.post('/api/me/two-factor/reset', { password: user.password, recoveryCode: user.codes[0] });
    assert.deepEqual([used.status, used.body.error?.code], [409, 'recovery.already_used'], 'the code the login spent');
    const wrongPassword = await user.agent.post('/api/me/two-factor/reset', { password: 'not-the-password-1A!', recoveryCode: user.codes[1] });
    assert.deepEqual([wrongPassword.status, wrongPassword.body.error?.code], [400, 'password.current_invalid']);
    const reset = await user.agent.post('/api/me/two-factor/reset', { password: user.password, recoveryCode: user.codes[1] });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal((await user.agent.get('/api/me')).status, 401, 'signed out everywhere');
    const next = server.agent();
    await next.post('/api/login/identify', user);
    assert.equal((await next.post('/api/login/password', { password: user.password })).body.step, 'enroll');
  });

  test('wrong recovery codes count toward the lockout, as wrong app codes do', async () => {
    const user = await signedInWithRecoveryCode();
    const wrong = 'aaaa-bbbb-cc';
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await user.agent.post('/api/me/two-factor/reset', { password: user.password, recoveryCode: wrong }));
    assert.deepEqual(answers.slice(0, 4).map((a) => a.body.error?.code), Array(4).fill('recovery.invalid_code'));
    const locked = await user.agent.post('/api/me/two-factor/reset', { password: user.password, recoveryCode: user.codes[2] });
    assert.deepEqual([locked.status, locked.body.error?.code], [429, 'account.locked'], 'a right code is refused while locked');
  });
});
