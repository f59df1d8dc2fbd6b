// The password step holds its attempt slot instead of counting a failure it must take back
// (src/login/lockout.ts): one write for a right password. What a person and an attacker see
// of it: an abandoned login never counts as a failure; a login's own hold never counts
// against its own code; holds fill at most the threshold, whoever sends the passwords; a
// login whose hash waited too long is refused as "temporarily unavailable" and leaves
// nothing held; and the name the flow is stored under is given only for a right password.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HashNotStarted } from '../../src/crypto/index.ts';
import { HOLDS_LAPSE_MS } from '../../src/login/attempt-holds.ts';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

const THRESHOLD = 5; // the default policy's lockout threshold

for (const engine of await enginesUnderTest()) describe(`attempt slots held by the password step (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    // Behind a trusted proxy, so parallel attempts can come from many addresses (one
    // address would meet the per-address throttle first).
    server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' } });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Holds Co', emailDomain: 'holds.test' });
  });
  after(() => server.close());

  type Member = Awaited<ReturnType<ReturnType<typeof tenantFactory>['member']>>;
  let address = 0;
  /** Each attempt from its own address, as an attacker spreading guesses would send them. */
  const from = () => ({ 'x-forwarded-for': `198.51.100.${(address = (address % 250) + 1)}` });
  async function passwordStep(who: Member, password: string, agent: Agent = server.agent()) {
    const headers = from();
    assert.equal((await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName }, headers)).status, 200);
    return { agent, answer: await agent.post('/api/login/password', { password }, headers) };
  }
  /** A member whose enrollment login's TOTP step is behind: the next code is fresh. */
  const memberAtFreshStep = async () => {
    const who = await tenants.member();
    server.clock.advance(30_000);
    return who;
  };
  const code = (who: Member) => ({ code: totpAt(who.totpSecret, server.clock()) });
  const wrongPasswords = async (who: Member, count: number) => {
    for (let i = 0; i < count; i += 1) assert.equal((await passwordStep(who, `Wrong-Guess-${i}-Holds!`)).answer.status, 401);
  };

  test("a login's own hold does not count against its code, one failure short of the lock", async () => {
    const who = await memberAtFreshStep();
    await wrongPasswords(who, THRESHOLD - 1);
    const { agent, answer } = await passwordStep(who, who.password);
    assert.equal(answer.body.step, 'totp', JSON.stringify(answer.body));
    const done = await agent.post('/api/login/totp', code(who));
    assert.equal(done.status, 200, JSON.stringify(done.body));
    // The finished login cleared the count and gave its hold back at once (not when it
    // lapses): after four more failures a fifth attempt still has its slot.
    await wrongPasswords(who, THRESHOLD - 1);
    const again = await passwordStep(who, who.password);
    assert.equal(again.answer.body.step, 'totp', 'the count is four, and nothing is held');
  });

  test('a login abandoned after its password never counts as a failure', async () => {
    const who = await tenants.member();
    await wrongPasswords(who, THRESHOLD - 1);
    // Right, then abandoned at the code step.
    assert.equal((await passwordStep(who, who.password)).answer.body.step, 'totp');
    // While it is held, the fifth slot is taken: the next attempt is refused, unevaluated,
    // with the answer every failure gets...
    const whileHeld = await passwordStep(who, who.password);
    assert.equal(whileHeld.answer.status, 401);
    assert.equal(whileHeld.answer.body.error.code, 'login.invalid_credentials');
    // ...and once it lapses the account is as the four failures left it: not locked.
    server.clock.advance(HOLDS_LAPSE_MS);
    server.clock.advance(30_000 - (server.clock() % 30_000)); // a fresh TOTP step
    const { agent, answer } = await passwordStep(who, who.password);
    assert.equal(answer.body.step, 'totp', JSON.stringify(answer.body));
    assert.equal((await agent.post('/api/login/totp', code(who))).status, 200);
  });

  test('holds fill at most the threshold: of 30 parallel right passwords, 5 go on; none locks the account', async () => {
    const who = await memberAtFreshStep();
    const attempts = await Promise.all(Array.from({ length: 30 }, () => passwordStep(who, who.password)));
    const through = attempts.filter(({ answer }) => answer.body.step === 'totp');
    assert.equal(through.length, THRESHOLD, 'as many as the slots');
    for (const { answer } of attempts.filter((a) => !through.includes(a))) assert.equal(answer.body.error?.code, 'login.invalid_credentials');
    // Each of those may finish; the first code wins its time step.
    const [first] = through;
    assert.equal((await first!.agent.post('/api/login/totp', code(who))).status, 200);
    // The holds lapse; the account was never locked.
    server.clock.advance(HOLDS_LAPSE_MS + 30_000);
    const later = await passwordStep(who, who.password);
    assert.equal(later.answer.body.step, 'totp');
    const events = await server.gatehouse.storage.db.selectFrom('audit_events').select('action').where('company_id', '=', who.companyId).where('action', '=', 'login.locked').execute();
    assert.deepEqual(events, []);
  });

  test('a client repeating the password step and never finishing: refusals last no longer than the holds', async () => {
    const who = await memberAtFreshStep();
    const agent = server.agent();
    const outcomes: string[] = [];
    // One attempt a second for a minute, each from an address of its own: a refusal for
    // held slots counts against its address like any failure (password-burst-address.test.ts),
    // so from one address the throttle would end this minute early; the holds are under test.
    for (let second = 0; second < 60; second += 1) {
      const headers = from();
      assert.equal((await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName }, headers)).status, 200);
      const answer = await agent.post('/api/login/password', { password: who.password }, headers);
      outcomes.push(answer.body.step === 'totp' ? 'through' : String(answer.body.error?.code));
      server.clock.advance(1000);
    }
    assert.deepEqual([...new Set(outcomes)].sort(), ['login.invalid_credentials', 'through'], outcomes.join(' '));
    const longestRefusal = Math.max(...outcomes.join(' ').split('through').map((run) => run.trim().split(/\s+/).filter(Boolean).length));
    assert.ok(longestRefusal * 1000 <= HOLDS_LAPSE_MS, `refused ${longestRefusal} seconds in a row: ${outcomes.join(' ')}`);
    assert.ok(outcomes.filter((o) => o === 'through').length >= 10, outcomes.join(' '));
  });

  test("20 wrong codes at once on one login: its hold is taken over once, at most the threshold are checked, and the account locks", async () => {
    const who = await memberAtFreshStep();
    // Three failures already: two codes are left to check (fewer than the flow's own cap).
    await wrongPasswords(who, THRESHOLD - 2);
    const { agent, answer } = await passwordStep(who, who.password);
    assert.equal(answer.body.step, 'totp');
    const window = [-1, 0, 1].map((offset) => totpAt(who.totpSecret, server.clock(), offset));
    const wrong = ['000000', '123456', '999999'].find((candidate) => !window.includes(candidate)) as string;
    const answers = await Promise.all(Array.from({ length: 20 }, () => agent.post('/api/login/totp', { code: wrong })));
    // A copy that found no slot while another of this login held one was not checked: "try again" (login-twins.test.ts).
    const refusals = ['totp.invalid_code', 'account.locked', 'totp.too_many_attempts', 'login.flow_expired', 'login.attempt_in_progress'];
    for (const refused of answers) assert.ok(refusals.includes(refused.body.error?.code), JSON.stringify(refused.body));
    // Each code checked took a slot: had two of the flow's requests both excused its hold,
    // one more than the threshold would have been checked.
    const [row] = await server.gatehouse.storage.db.selectFrom('users').select(['failed_logins', 'locked_until']).where('company_id', '=', who.companyId).execute();
    assert.ok(row && row.failed_logins <= THRESHOLD, `${row?.failed_logins} failures counted`);
    assert.ok(row?.locked_until, 'the account is locked');
    server.clock.advance(HOLDS_LAPSE_MS);
    assert.equal((await passwordStep(who, who.password)).answer.status, 401, 'a lock, not holds');
  });

  test('the stored flow exists from before the hash, under a name the identify cookie does not give', async () => {
    const who = await memberAtFreshStep();
    const { db } = server.gatehouse.storage;
    const hasher = server.gatehouse.deps.hasher;
    const realVerify = hasher.verify;
    const agent = server.agent();
    assert.equal((await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName })).status, 200);
    const pendingCookie = agent.cookies.get('gh_flow') as string;
    const during: { rows: number; codeStep: unknown }[] = [];
    hasher.verify = async (hash, password, startBy) => {
      // While the hash runs, the flow is stored at the code step, and the identify cookie
      // (which is all the browser holds until the answer) does not reach it.
      const rows = (await db.selectFrom('login_flows').select('step').where('company_id', '=', who.companyId).where('step', '=', 'totp').execute()).length;
      const peer = server.agent();
      peer.cookies.set('gh_flow', pendingCookie);
      during.push({ rows, codeStep: (await peer.post('/api/login/totp', code(who))).body.error?.code });
      return realVerify(hash, password, startBy);
    };
    try {
      assert.equal((await agent.post('/api/login/password', { password: 'Not-The-Password-9!' })).status, 401);
    } finally {
      hasher.verify = realVerify;
    }
    assert.deepEqual(during, [{ rows: 1, codeStep: 'login.wrong_step' }]);
    // The wrong password deleted it, and gave the identify cookie its password step back.
    assert.equal((await db.selectFrom('login_flows').select('step').where('company_id', '=', who.companyId).execute()).length, 0);
    const proved = await agent.post('/api/login/password', { password: who.password });
    assert.equal(proved.body.step, 'totp');
    assert.notEqual(agent.cookies.get('gh_flow'), pendingCookie);
    assert.equal((await agent.post('/api/login/totp', code(who))).status, 200);
  });

  test('a hash whose turn came too late: temporarily unavailable, no flow left, nothing held', async () => {
    const who = await memberAtFreshStep();
    const { db } = server.gatehouse.storage;
    const hasher = server.gatehouse.deps.hasher;
    const realVerify = hasher.verify;
    // The hasher's queue refuses a turn that came after the caller's deadline (its own
    // test: src/crypto/passwords.test.ts); here every turn comes too late.
    hasher.verify = async (hash, password, startBy) => {
      if (startBy) throw new HashNotStarted();
      return realVerify(hash, password);
    };
    try {
      for (let i = 0; i < THRESHOLD + 1; i += 1) {
        const { answer } = await passwordStep(who, who.password);
        assert.equal(answer.status, 503, JSON.stringify(answer.body));
        assert.equal(answer.body.error.code, 'service.unavailable');
      }
    } finally {
      hasher.verify = realVerify;
    }
    assert.equal((await db.selectFrom('login_flows').select('step').where('company_id', '=', who.companyId).execute()).length, 0);
    // Six refusals in a row held nothing: the next login goes through at once.
    const { agent, answer } = await passwordStep(who, who.password);
    assert.equal(answer.body.step, 'totp');
    assert.equal((await agent.post('/api/login/totp', code(who))).status, 200);
  });
});
