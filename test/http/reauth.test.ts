// Proof before a sensitive change in My Settings for a user with a passkey or security
// key: password and key, a passkey that verified its user alone, the app's code refused
// once the company holds the user to keys, and the key's answer bound to this session
// and usable once. Signed for real by the software authenticator (test/helpers/webauthn.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextPasswordCheck } from '../helpers/held-password-check.ts';
import { logIn, signedInOperator } from '../helpers/journey.ts';
import { keyLogIn } from '../helpers/key-policy.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator, type SoftAuthenticatorOptions } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`proof with a passkey or security key in My Settings (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Reauth Co', emailDomain: 'reauth.test' });
  });
  after(() => server.close());

  /** A signed-in Root Master with the app and one key. */
  async function memberWithKey(options: SoftAuthenticatorOptions = {}) {
    const member = await tenants.member();
    const key = new SoftAuthenticator(server.baseUrl, options);
    const start = await member.agent.post('/api/me/security-keys/options', { password: member.password });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const added = await member.agent.post('/api/me/security-keys', { name: 'Desk key', response: key.register(start.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    return { ...member, key };
  }

  async function keyAnswer(agent: Agent, key: SoftAuthenticator) {
    const options = await agent.post('/api/me/reauth/key-options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    return key.assert(options.body);
  }

  async function reauthFailures(companyId: string) {
    const rows = await server.gatehouse.storage.db.selectFrom('audit_events').select(['action', 'detail']).where('company_id', '=', companyId).where('action', '=', 'reauth.failed').execute();
    return rows.map((r) => JSON.parse(r.detail ?? '{}').reason as string);
  }

  test('held to keys by the company: the profile offers the key, the app code is refused, password and key make new recovery codes once', async () => {
    const withKey = await memberWithKey({ userVerification: false });
    // Signed in with the key: a policy that holds its saver to keys is saved from such a session.
    const m = { ...withKey, agent: await keyLogIn(server, withKey, withKey.key) };
    assert.deepEqual((await m.agent.get('/api/me/profile')).body.proof, { password: true, app: true, key: true });
    const saved = await m.agent.post('/api/company/policy', { phishingResistant: 'everyone' });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const profile = await m.agent.get('/api/me/profile');
    assert.deepEqual(profile.body.proof, { password: true, app: false, key: true });
    assert.equal(profile.body.passwordManagedBy, null);

    server.clock.advance(30_000);
    const withCode = await m.agent.post('/api/me/recovery-codes', { password: m.password, code: totpAt(m.totpSecret, server.clock()) });
    assert.equal(withCode.status, 403);
    assert.equal(withCode.body.error.code, 'reauth.key_required');

    // A security key without a PIN is one factor: the password comes with it.
    const alone = await m.agent.post('/api/me/recovery-codes', { key: await keyAnswer(m.agent, m.key) });
    assert.equal(alone.status, 400);
    assert.equal(alone.body.error.code, 'reauth.password_with_key');

    const wrongPassword = await m.agent.post('/api/me/recovery-codes', { password: 'Wrong-Password-1!', key: await keyAnswer(m.agent, m.key) });
    assert.equal(wrongPassword.status, 400);
    assert.equal(wrongPassword.body.error.code, 'password.current_invalid');

    const answer = await keyAnswer(m.agent, m.key);
    const made = await m.agent.post('/api/me/recovery-codes', { password: m.password, key: answer });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.equal(made.body.recoveryCodes.length, 10);
    const replay = await m.agent.post('/api/me/recovery-codes', { password: m.password, key: answer });
    assert.equal(replay.status, 401, 'the challenge was used up');
    assert.equal(replay.body.error.code, 'webauthn.not_accepted');

    assert.deepEqual(await reauthFailures(m.companyId), ['key_required', 'key_without_verification', 'wrong_password', 'no_challenge']);
    const keys = (await m.agent.get('/api/me/security-keys')).body.keys;
    assert.equal(keys[0].lastUsedAt, new Date(server.clock()).toISOString());
  });

  test('a password change gives wrong codes no fresh count: the threshold holds across changes, and the lock holds the right code', async () => {
    const m = await tenants.member();
    const db = server.gatehouse.deps.db;
    const failures = async () => Number((await db.selectFrom('users').select('failed_logins').where('company_id', '=', m.companyId).where('username', '=', m.username).executeTakeFirstOrThrow()).failed_logins);
    const current = new Set([-1, 0, 1].map((drift) => totpAt(m.totpSecret, server.clock(), drift)));
    const wrong = ['000000', '111111', '222222', '333333', '444444', '555555'].filter((code) => !current.has(code));
    let password = m.password;
    const passwords = ['Quartz-Lantern-87?', 'Marble-Compass-93!'];
    for (const [i, code] of wrong.slice(0, 4).entries()) {
      const guess = await m.agent.post('/api/me/recovery-codes', { password, code });
      assert.equal(guess.body.error?.code, 'totp.code_refused', JSON.stringify(guess.body));
      // A stolen session with the password changes it between guesses.
      const next = passwords[i % 2] as string;
      assert.equal((await m.agent.post('/api/me/password', { currentPassword: password, newPassword: next, confirm: next })).status, 200);
      password = next;
    }
    assert.equal(await failures(), 4, 'the changes kept the count');
    await m.agent.post('/api/me/recovery-codes', { password, code: wrong[4] });
    // Locked at the threshold (5): the right code no longer gets new recovery codes.
    server.clock.advance(30_000);
    const right = await m.agent.post('/api/me/recovery-codes', { password, code: totpAt(m.totpSecret, server.clock()) });
    assert.notEqual(right.status, 200, JSON.stringify(right.body));
  });

  test('new recovery codes asked for while the owner changes the password (the proof still being checked) are not made', async () => {
    const m = await tenants.member();
    server.clock.advance(30_000);
    const thief = server.agent(); // a second session of the owner's, held by someone else
    await logIn(server, thief, { username: m.username, companyName: m.companyName, password: m.password, totpSecret: m.totpSecret });
    server.clock.advance(30_000);
    const before = await server.gatehouse.deps.db.selectFrom('recovery_codes').select('code_hash').where('company_id', '=', m.companyId).execute();
    const hold = holdNextPasswordCheck(server);
    try {
      const asked = thief.post('/api/me/recovery-codes', { password: m.password, code: totpAt(m.totpSecret, server.clock()) });
      await hold.atHold;
      const next = 'Quartz-Lantern-87?';
      assert.equal((await m.agent.post('/api/me/password', { currentPassword: m.password, newPassword: next, confirm: next })).status, 200);
      hold.release();
      const answer = await asked;
      assert.deepEqual([answer.status, answer.body.error?.code], [401, 'session.required'], JSON.stringify(answer.body));
      const after = await server.gatehouse.deps.db.selectFrom('recovery_codes').select('code_hash').where('company_id', '=', m.companyId).execute();
      assert.deepEqual(after, before, 'the owner keeps the codes they have');
    } finally {
      hold.release();
      hold.restore();
    }
  });

  test('wrong passwords beside a key count toward the lockout like wrong logins', async () => {
    const m = await memberWithKey();
    for (let i = 0; i < 5; i += 1) {
      const wrong = await m.agent.post('/api/me/recovery-codes', { password: 'Wrong-Password-1!', key: await keyAnswer(m.agent, m.key) });
      assert.equal(wrong.body.error.code, 'password.current_invalid');
    }
    const locked = await m.agent.post('/api/me/recovery-codes', { password: m.password, key: await keyAnswer(m.agent, m.key) });
    assert.equal(locked.status, 429);
    // Refused while locked, and audited as every refusal is, as the code's refusal is.
    const withCode = await m.agent.post('/api/me/recovery-codes', { password: m.password, code: totpAt(m.totpSecret, server.clock()) });
    assert.equal(withCode.status, 429);
    assert.deepEqual((await reauthFailures(m.companyId)).filter((reason) => reason === 'locked'), ['locked', 'locked'], 'both refusals while locked are in the trail');
  });

  test('a passkey that verified its user stands alone (two factors), and resets 2FA: keys gone, enrollment at the next login', async () => {
    const m = await memberWithKey({ synced: true });
    const reset = await m.agent.post('/api/me/two-factor/reset', { key: await keyAnswer(m.agent, m.key) });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal((await m.agent.get('/api/me')).status, 401, 'signed out');
    const keys = await server.gatehouse.storage.db.selectFrom('webauthn_credentials').select('id').where('company_id', '=', m.companyId).execute();
    assert.equal(keys.length, 0);
    const again = server.agent();
    await again.post('/api/login/identify', { username: m.username, companyName: m.companyName });
    assert.equal((await again.post('/api/login/password', { password: m.password })).body.step, 'enroll');
  });

  test("the key's answer is bound to the session that asked: another session of the same user cannot use it", async () => {
    const m = await memberWithKey();
    const other = server.agent();
    await other.post('/api/login/identify', { username: m.username, companyName: m.companyName });
    await other.post('/api/login/password', { password: m.password });
    const options = await other.post('/api/login/key/options');
    assert.equal((await other.post('/api/login/key', { response: m.key.assert(options.body) })).status, 200);

    const answer = await keyAnswer(m.agent, m.key);
    const elsewhere = await other.post('/api/me/recovery-codes', { password: m.password, key: answer });
    assert.equal(elsewhere.status, 401);
    assert.equal(elsewhere.body.error.code, 'webauthn.not_accepted');
  });

  test('without a key, the options are refused, and a missing code is a field error as before', async () => {
    const m = await tenants.member();
    const options = await m.agent.post('/api/me/reauth/key-options');
    assert.equal(options.status, 409);
    assert.equal(options.body.error.code, 'webauthn.none_registered');
    const missing = await m.agent.post('/api/me/recovery-codes', { password: m.password });
    assert.equal(missing.status, 400);
    assert.ok(missing.body.error.fields.code);
  });
});
