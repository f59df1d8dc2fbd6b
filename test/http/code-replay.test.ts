// Replayed second-factor codes (issue 7, item 13): a code that is right but whose step
// (or recovery code) was taken by an earlier or concurrent success is "already used":
// refused and never counted toward the lockout, on every path that accepts a code
// (login, re-authentication, own 2FA reset). Wrong codes still lock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { HOLDS_LAPSE_MS } from '../../src/login/attempt-holds.ts';

const TWINS = 20;

for (const engine of await enginesUnderTest()) describe(`replayed codes never lock the account (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Replay Co', emailDomain: 'replay.test' });
  });
  after(() => server.close());

  type Who = { username: string; companyName: string; password: string };
  /** A new login flow at the code step; undefined when the password step refuses (locked). */
  async function atCodeStep(user: Who) {
    const agent = server.agent();
    await agent.post('/api/login/identify', user);
    const answer = await agent.post('/api/login/password', { password: user.password });
    return answer.body.step === 'totp' ? agent : undefined;
  }
  const wrongCode = (secret: string) => {
    const window = [-1, 0, 1].map((o) => totpAt(secret, server.clock(), o));
    return ['000000', '123456', '999999'].find((c) => !window.includes(c)) as string;
  };
  /** What a person sees next: a fresh login with the next code from the app. */
  async function nextLoginWorks(user: Who & { totpSecret: string }) {
    const agent = await atCodeStep(user);
    if (!agent) return false;
    return (await agent.post('/api/login/totp', { code: totpAt(user.totpSecret, server.clock(), 1) })).status === 200;
  }
  /** Twenty copies of one submission spread over two flows, all at once. */
  async function twins(user: Who, path: string, code: string) {
    const flows = [await atCodeStep(user), await atCodeStep(user)];
    return Promise.all(Array.from({ length: TWINS }, (_, i) => flows[i % 2]!.post(path, { code })));
  }

  test(`one valid TOTP code sent ${TWINS} times over two flows: one login, no lockout`, async () => {
    const user = await tenants.member();
    const answers = await twins(user, '/api/login/totp', totpAt(user.totpSecret, server.clock()));
    assert.equal(answers.filter((a) => a.status === 200).length, 1, JSON.stringify(answers.map((a) => a.body.error?.code ?? a.status)));
    assert.ok(answers.some((a) => a.body.error?.code === 'totp.already_used'), 'the losing twins are told the code was used');
    assert.ok(await nextLoginWorks(user), 'the winner is not locked out');
  });

  test(`one recovery code sent ${TWINS} times over two flows: one login, no lockout`, async () => {
    const user = await tenants.member();
    const regenerated = await user.agent.post('/api/me/recovery-codes', { password: user.password, code: totpAt(user.totpSecret, server.clock()) });
    assert.equal(regenerated.status, 200, JSON.stringify(regenerated.body));
    server.clock.advance(30_000);
    const answers = await twins(user, '/api/login/recovery', (regenerated.body.recoveryCodes as string[])[0]!);
    assert.equal(answers.filter((a) => a.status === 200).length, 1, JSON.stringify(answers.map((a) => a.body.error?.code ?? a.status)));
    assert.ok(answers.some((a) => a.body.error?.code === 'recovery.already_used'));
    assert.ok(await nextLoginWorks(user), 'the winner is not locked out');
  });

  test('a right code refused (used, or the account locked) leaves no session and no login event behind', async () => {
    const user = await tenants.member();
    const { db } = server.gatehouse.deps;
    const left = async () => ({
      sessions: (await db.selectFrom('sessions').select('id_hash').where('company_id', '=', user.companyId).execute()).length,
      logins: (await db.selectFrom('audit_events').select('id').where('company_id', '=', user.companyId).where('action', '=', 'login.succeeded').execute()).length,
    });
    const before = await left();
    const code = totpAt(user.totpSecret, server.clock());
    assert.equal((await (await atCodeStep(user))!.post('/api/login/totp', { code })).status, 200);
    const afterLogin = await left();
    assert.deepEqual(afterLogin, { sessions: before.sessions + 1, logins: before.logins + 1 });

    assert.equal((await (await atCodeStep(user))!.post('/api/login/totp', { code })).body.error?.code, 'totp.already_used');
    assert.deepEqual(await left(), afterLogin, 'a used code');

    const held = await atCodeStep(user);
    // Its password's hold lapses (src/login/attempt-holds.ts), so the five flows below
    // each get a slot, and their wrong codes lock the account.
    server.clock.advance(HOLDS_LAPSE_MS);
    for (let i = 0; i < 5; i += 1) await (await atCodeStep(user))!.post('/api/login/totp', { code: wrongCode(user.totpSecret) });
    const locked = await held!.post('/api/login/totp', { code: totpAt(user.totpSecret, server.clock(), 1) });
    assert.equal(locked.status, 429, 'a right code while the account is locked');
    assert.equal(locked.body.error.code, 'account.locked');
    assert.deepEqual(await left(), afterLogin, 'a locked account');
  });

  test('property: wrong codes lock at the threshold, already used codes never count', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('wrong', 'same', 'older'), { minLength: 1, maxLength: 8 }), async (tries) => {
        server.clock.advance(30 * 60_000); // past any earlier lock
        const user = await tenants.member();
        const first = await atCodeStep(user);
        assert.equal((await first!.post('/api/login/totp', { code: totpAt(user.totpSecret, server.clock()) })).status, 200);
        let wrong = 0;
        for (const kind of tries) {
          const agent = await atCodeStep(user);
          if (!agent) break; // locked: the password step already refuses
          const code = kind === 'wrong' ? wrongCode(user.totpSecret) : totpAt(user.totpSecret, server.clock(), kind === 'same' ? 0 : -1);
          const answer = await agent.post('/api/login/totp', { code });
          if (kind === 'wrong') wrong += 1;
          // The wrong code that locks the account says so (the code step is past the password).
          assert.equal(answer.body.error?.code, kind !== 'wrong' ? 'totp.already_used' : wrong === 5 ? 'account.locked' : 'totp.invalid_code');
        }
        assert.equal(await nextLoginWorks(user), wrong < 5, `${tries.join(',')}: locked after ${wrong} wrong codes`);
      }),
      { numRuns: 6 },
    );
  });

  test('re-authentication: a replayed code is refused as already used and does not count', async () => {
    const user = await tenants.member();
    const code = totpAt(user.totpSecret, server.clock());
    const regenerate = (c: string) => user.agent.post('/api/me/recovery-codes', { password: user.password, code: c });
    assert.equal((await regenerate(code)).status, 200);
    for (let i = 0; i < 7; i += 1) {
      const replay = await regenerate(code);
      assert.equal(replay.status, 409);
      assert.equal(replay.body.error.code, 'totp.already_used');
      assert.match(replay.body.error.message, /already used\. Wait for the next code/);
    }
    assert.equal((await regenerate(totpAt(user.totpSecret, server.clock(), 1))).status, 200, 'not locked');
  });

  test("own 2FA reset: a replayed code is refused as already used and does not count; wrong codes do", async () => {
    const user = await tenants.member();
    const used = totpAt(user.totpSecret, server.clock());
    assert.equal((await (await atCodeStep(user))!.post('/api/login/totp', { code: used })).status, 200);
    const reset = (code: string) => user.agent.post('/api/me/two-factor/reset', { password: user.password, code });
    for (let i = 0; i < 7; i += 1) {
      const replay = await reset(used);
      assert.equal(replay.status, 409);
      assert.equal(replay.body.error.code, 'totp.already_used');
    }
    for (let i = 0; i < 5; i += 1) assert.equal((await reset(wrongCode(user.totpSecret))).body.error.code, 'totp.code_refused');
    const locked = await reset(totpAt(user.totpSecret, server.clock(), 1));
    assert.equal(locked.status, 429, 'five wrong codes lock, here as at login');
    server.clock.advance(16 * 60_000);
    const relogin = server.agent();
    await relogin.post('/api/login/identify', user);
    assert.equal((await relogin.post('/api/login/password', { password: user.password })).body.step, 'totp');
  });
});
