// Identifier-first login as an attacker probes it: the steps never tell whether a user
// or company exists, and the per-user lockout holds, also under 50 parallel guesses.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent, Answer } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, approvedCompany, logIn, signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';

const LOCK_MINUTES = 15;
const MAX_FAILURES = 5;
const TWIN_PASSWORD = 'Twin-Lantern-88?';

/** Set-Cookie lines without their values: what is left must not differ between cases. */
const cookieShapes = (answer: Answer) => answer.setCookies.map((line) => line.replace(/=[^;]*/, '=<value>'));

for (const engine of await enginesUnderTest()) describe(`login: enumeration and lockout (${engine})`, () => {
  let server: TestServer;
  const users = new Map<string, { username: string; companyName: string; companyId: string }>();
  const totpSecrets = new Map<string, string>();
  const recoveryCodes = new Map<string, string>();
  before(async () => {
    // Behind a trusted proxy, so the parallel attack below can come from many addresses
    // (one address would meet the per-address throttle first; see ip-throttle.test.ts).
    server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' } });
    const operator: Agent = (await signedInOperator(server)).agent;
    for (const key of ['dana', 'twin', 'locked', 'disabled', 'suspended', 'sequence', 'parallel', 'invited', 'raced', 'racedEnrolled', 'racedRecovery']) {
      const email = key === 'twin' ? 'dana@twin.test' : `${key}@login.test`; // twin: another "dana"
      const request = { ...ACME_REQUEST, companyName: key === 'dana' ? ACME_REQUEST.companyName : `${key} company`, email };
      const company = await approvedCompany(server, operator, request);
      if (key !== 'invited') await signUp(server, company.link, key === 'twin' ? TWIN_PASSWORD : STRONG_PASSWORD);
      users.set(key, { username: company.username, companyName: request.companyName, companyId: company.companyId });
      if (key === 'racedEnrolled' || key === 'racedRecovery') {
        const agent = server.agent();
        const { totpSecret } = await logIn(server, agent, { username: company.username, companyName: request.companyName, password: STRONG_PASSWORD });
        totpSecrets.set(key, totpSecret);
        if (key === 'racedRecovery') {
          const made = await agent.post('/api/me/recovery-codes', { password: STRONG_PASSWORD, code: totpAt(totpSecret, server.clock()) });
          assert.equal(made.status, 200, JSON.stringify(made.body));
          recoveryCodes.set(key, (made.body.recoveryCodes as string[])[0] as string);
          server.clock.advance(30_000);
        }
      }
    }
    const db = server.gatehouse.storage.db;
    await db.updateTable('users').set({ status: 'disabled' }).where('company_id', '=', users.get('disabled')!.companyId).execute();
    await db.updateTable('companies').set({ status: 'suspended' }).where('id', '=', users.get('suspended')!.companyId).execute();
  });
  after(() => server.close());

  const who = (key: string) => users.get(key)!;
  async function passwordStep(username: string, companyName: string, password: string, agent = server.agent()) {
    const identified = await agent.post('/api/login/identify', { username, companyName });
    assert.equal(identified.status, 200);
    return agent.post('/api/login/password', { password });
  }
  const userId = async (key: string) =>
    (await server.gatehouse.storage.db.selectFrom('users').select('id').where('company_id', '=', who(key).companyId).executeTakeFirstOrThrow()).id;

  test('identify: same status, body and cookies whether the user and company exist or not', async () => {
    const cases = [
      { username: 'dana', companyName: ACME_REQUEST.companyName },
      { username: 'nobody', companyName: ACME_REQUEST.companyName },
      { username: 'dana', companyName: 'No Such Company' },
      { username: 'nobody', companyName: 'No Such Company' },
    ];
    const answers = await Promise.all(cases.map((c) => server.agent().post('/api/login/identify', c)));
    answers.forEach((answer, i) => {
      assert.equal(answer.status, 200);
      const { loginId, ...body } = answer.body;
      assert.deepEqual(body, { step: 'password', ...cases[i] });
      // Each login its own random name, shaped alike for every case.
      assert.match(loginId, /^[0-9a-f]{32}$/);
      assert.deepEqual(cookieShapes(answer), cookieShapes(answers[0]!));
      assert.deepEqual([...answer.headers.keys()].filter((h) => h !== 'date' && h !== 'content-length'), [...answers[0]!.headers.keys()].filter((h) => h !== 'date' && h !== 'content-length'));
    });
    assert.equal(answers[0]!.setCookies.length, 1, 'the flow cookie');
    assert.equal(new Set(answers.map((answer) => answer.body.loginId)).size, answers.length, 'no two logins share a name');
  });

  test('password step: one answer for wrong password, unknown user or company, invited, locked, disabled, suspended', async () => {
    const locked = who('locked');
    for (let i = 0; i < MAX_FAILURES; i += 1) await passwordStep(locked.username, locked.companyName, `Wrong-Guess-${i}!`);

    const failures: Record<string, Answer> = {
      'wrong password': await passwordStep('dana', ACME_REQUEST.companyName, 'Not-The-Password-1!'),
      'unknown user': await passwordStep('nobody', ACME_REQUEST.companyName, STRONG_PASSWORD),
      'unknown company': await passwordStep('dana', 'No Such Company', STRONG_PASSWORD),
      'not signed up': await passwordStep(who('invited').username, who('invited').companyName, STRONG_PASSWORD),
      'locked, right password': await passwordStep(locked.username, locked.companyName, STRONG_PASSWORD),
      'disabled, right password': await passwordStep(who('disabled').username, who('disabled').companyName, STRONG_PASSWORD),
      'suspended company, right password': await passwordStep(who('suspended').username, who('suspended').companyName, STRONG_PASSWORD),
    };
    const reference = failures['wrong password']!;
    assert.equal(reference.status, 401);
    assert.deepEqual(reference.body, {
      error: { code: 'login.invalid_credentials', message: 'Incorrect username, company name or password.' },
    });
    for (const [name, answer] of Object.entries(failures)) {
      assert.equal(answer.status, 401, name);
      assert.deepEqual(answer.body, reference.body, name);
      assert.deepEqual(answer.setCookies, [], name);
    }
  });

  test("the same username in another company: one company's password does not open the other", async () => {
    const twin = who('twin');
    assert.equal(twin.username, 'dana');
    assert.equal((await passwordStep('dana', twin.companyName, STRONG_PASSWORD)).status, 401, "Acme's password at Twin");
    assert.equal((await passwordStep('dana', ACME_REQUEST.companyName, TWIN_PASSWORD)).status, 401, "Twin's password at Acme");
    assert.equal((await passwordStep('dana', twin.companyName, TWIN_PASSWORD)).status, 200);
  });

  // Timing itself is measured in bench/ (never by a timed test); here the cause of equal
  // timing is checked: every answer of the password step costs exactly one argon2id verify.
  test('without a user the password step still pays for one password hash (no timing oracle)', async () => {
    const dana = who('dana');
    const hasher = server.gatehouse.deps.hasher;
    const realVerify = hasher.verify;
    let verifications = 0;
    hasher.verify = async (hash, password) => {
      verifications += 1;
      return realVerify(hash, password);
    };
    try {
      const costOf = async (username: string, companyName: string, password: string) => {
        const agent = server.agent();
        await agent.post('/api/login/identify', { username, companyName });
        verifications = 0;
        await agent.post('/api/login/password', { password });
        return verifications;
      };
      assert.equal(await costOf(dana.username, dana.companyName, STRONG_PASSWORD), 1, 'a real user: one verify');
      assert.equal(await costOf(dana.username, dana.companyName, 'Wrong-Password-1!'), 1, 'a wrong password: one verify');
      assert.equal(await costOf('nobody', dana.companyName, STRONG_PASSWORD), 1, 'an unknown user: one (dummy) verify');
      assert.equal(await costOf(dana.username, 'No Such Company', STRONG_PASSWORD), 1, 'an unknown company: one (dummy) verify');
    } finally {
      hasher.verify = realVerify;
    }
  });

  // The password step stores its flow and holds its attempt slot in one write before the
  // hash, only while user and company are active; every later write that moves the login
  // on or gives it a session holds to the same (src/login/lockout.ts activeInActiveCompany).
  // So a suspension or a deactivation, made while the hash runs or after the password
  // step, however it was made (here by hand, without the product's own ending of
  // unfinished logins), ends the login without a session: at the code step of an enrolled
  // user (an app code, or a recovery code), and at the enrollment of a new one.
  test('a company suspended or a user disabled while the password is checked, or after: the login ends without a session', async () => {
    const { db } = server.gatehouse.storage;
    const hasher = server.gatehouse.deps.hasher;
    const realVerify = hasher.verify;
    const sessions = async (companyId: string) => (await db.selectFrom('sessions').select('id_hash').where('company_id', '=', companyId).execute()).length;
    for (const key of ['raced', 'racedEnrolled', 'racedRecovery']) {
      const raced = who(key);
      const secret = totpSecrets.get(key);
      const recoveryCode = recoveryCodes.get(key);
      const sessionsBefore = await sessions(raced.companyId);
      for (const [what, change, undo] of [
        ['company suspended', () => db.updateTable('companies').set({ status: 'suspended' }).where('id', '=', raced.companyId).execute(), () => db.updateTable('companies').set({ status: 'active' }).where('id', '=', raced.companyId).execute()],
        ['user disabled', () => db.updateTable('users').set({ status: 'disabled' }).where('company_id', '=', raced.companyId).execute(), () => db.updateTable('users').set({ status: 'active' }).where('company_id', '=', raced.companyId).execute()],
      ] as const) {
        for (const when of ['while the hash runs', 'after the password step']) {
          const agent = server.agent();
          const label = `${key}, ${what} ${when}`;
          if (when === 'while the hash runs') {
            hasher.verify = async (hash, password) => {
              await change();
              return realVerify(hash, password);
            };
          }
          try {
            const answer = await passwordStep(raced.username, raced.companyName, STRONG_PASSWORD, agent);
            hasher.verify = realVerify;
            assert.equal(answer.body.step, secret ? 'totp' : 'enroll', `${label}: the password was right when checked`);
            const enrollSecret = secret ? undefined : ((await agent.post('/api/login/enroll/start')).body.secret as string);
            if (when === 'after the password step') await change();
            const last = recoveryCode
              ? await agent.post('/api/login/recovery', { code: recoveryCode })
              : secret
                ? await agent.post('/api/login/totp', { code: totpAt(secret, server.clock()) })
                : await agent.post('/api/login/enroll/verify', { code: totpAt(enrollSecret as string, server.clock()) });
            assert.equal(last.body.error?.code, 'login.flow_expired', label);
          } finally {
            hasher.verify = realVerify;
            await undo();
          }
          assert.equal(await sessions(raced.companyId), sessionsBefore, `${label}: no session`);
        }
      }
      const again = await passwordStep(raced.username, raced.companyName, STRONG_PASSWORD);
      assert.equal(again.body.step, secret ? 'totp' : 'enroll', 'active again, the login goes on');
    }
  });

  test(`${MAX_FAILURES} wrong passwords lock the user for ${LOCK_MINUTES} minutes; a full login resets the count`, async () => {
    const { username, companyName } = who('sequence');
    for (let i = 0; i < MAX_FAILURES - 1; i += 1) assert.equal((await passwordStep(username, companyName, `Wrong-${i}-Guess!`)).status, 401);
    await logIn(server, server.agent(), { username, companyName, password: STRONG_PASSWORD }); // four failures do not lock

    for (let i = 0; i < MAX_FAILURES; i += 1) assert.equal((await passwordStep(username, companyName, `Wrong-${i}-Again!`)).status, 401);
    const whileLocked = await passwordStep(username, companyName, STRONG_PASSWORD);
    assert.equal(whileLocked.status, 401, 'the right password is refused while locked');
    assert.equal(whileLocked.body.error.code, 'login.invalid_credentials');

    server.clock.advance(LOCK_MINUTES * 60_000 - 1000);
    assert.equal((await passwordStep(username, companyName, STRONG_PASSWORD)).status, 401, 'still locked a second before the end');
    server.clock.advance(1000);
    const after = await passwordStep(username, companyName, STRONG_PASSWORD);
    assert.equal(after.status, 200, JSON.stringify(after.body));
    assert.equal(after.body.step, 'totp');
  });

  test('50 parallel wrong passwords: at most 5 are evaluated, then the lock holds', async () => {
    const { username, companyName } = who('parallel');
    const agents = Array.from({ length: 50 }, () => server.agent());
    await Promise.all(agents.map((a) => a.post('/api/login/identify', { username, companyName })));
    const answers = await Promise.all(
      agents.map((a, i) => a.post('/api/login/password', { password: `Parallel-Guess-${i}!` }, { 'x-forwarded-for': `203.0.113.${i + 1}` })),
    );
    for (const answer of answers) {
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error.code, 'login.invalid_credentials');
    }
    const id = await userId('parallel');
    const events = await server.gatehouse.storage.db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'login.failed')
      .where('target', '=', id)
      .execute();
    const reasons = events.map((e) => JSON.parse(e.detail ?? '{}').reason as string);
    assert.equal(reasons.length, 50);
    assert.equal(reasons.filter((r) => r.startsWith('wrong_password')).length, MAX_FAILURES, 'password hashes compared');
    // The others were refused unevaluated: the account locked, or its slots held by the
    // five guesses in flight (src/login/attempt-holds.ts).
    assert.equal(reasons.filter((r) => r === 'locked' || r === 'slots_held').length, 50 - MAX_FAILURES);

    assert.equal((await passwordStep(username, companyName, STRONG_PASSWORD)).status, 401, 'locked');
    server.clock.advance(LOCK_MINUTES * 60_000);
    assert.equal((await passwordStep(username, companyName, STRONG_PASSWORD)).status, 200, 'the lock lifts');
  });
});
