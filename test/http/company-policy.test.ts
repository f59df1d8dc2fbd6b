// A company's security policy over HTTP: only its Masters change it, every field is
// validated, and the password rule, lockout, session limits and IP allowlist then follow
// the company (and only that company).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUser, issueSignupLink, type Role } from '../../src/users/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

const DEFAULTS = {
  passwordMinLength: 8,
  passwordClasses: ['lower', 'upper', 'digit', 'symbol'],
  lockoutThreshold: 5,
  lockoutMinutes: 15,
  sessionAbsoluteMinutes: 720,
  sessionIdleMinutes: 30,
  ipAllowlist: [],
  twoPerson2faReset: false,
  phishingResistant: 'off',
};

for (const engine of await enginesUnderTest()) describe(`company security policy (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Policy Co', emailDomain: 'policy.test' });
  });
  after(() => server.close());

  /** A company whose Root Master is signed in (2FA enrolled): the tenants' "member", named for what it is here. */
  const company = () => tenants.member();
  /** Another user of the company with a Sign Up link (not signed up yet). */
  async function member(co: { companyId: string; companyName: string }, username: string, role: Role = 'user') {
    const { db } = server.gatehouse.deps;
    const user = await createUser(db, co.companyId, { username, email: `${username}@policy.test`, displayName: username, role }, server.clock());
    const link = await issueSignupLink(db, co.companyId, user.id, server.clock(), 3_600_000);
    return { username, companyName: co.companyName, password: STRONG_PASSWORD, token: link.token, link: `${server.baseUrl}/signup/${link.token}`, userId: user.id };
  }
  async function passwordStep(who: { username: string; companyName: string }, password: string, agent = server.agent()) {
    assert.equal((await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName })).status, 200);
    return agent.post('/api/login/password', { password });
  }
  async function setPolicy(agent: Agent, change: object) {
    const answer = await agent.post('/api/company/policy', change);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.policy;
  }

  test('Masters and the Root Master read and change the policy; a User gets 403, a stranger 401', async () => {
    const co = await company();
    const read = await co.agent.get('/api/company/policy');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.policy, DEFAULTS);
    assert.equal(read.body.currentIp, '127.0.0.1');
    assert.deepEqual(read.body.limits.lockoutThreshold, [3, 20]);

    const plain = await member(co, 'plain');
    await signUp(server, plain.link);
    const plainAgent = server.agent();
    await logIn(server, plainAgent, plain);
    for (const answer of [await plainAgent.get('/api/company/policy'), await plainAgent.post('/api/company/policy', { lockoutThreshold: 10 })]) {
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error.code, 'auth.forbidden');
    }
    assert.equal((await server.agent().get('/api/company/policy')).status, 401);

    const master = await member(co, 'deputy', 'master');
    await signUp(server, master.link);
    const masterAgent = server.agent();
    await logIn(server, masterAgent, master);
    assert.equal((await setPolicy(masterAgent, { lockoutThreshold: 10 })).lockoutThreshold, 10);
    assert.equal((await co.agent.get('/api/company/policy')).body.policy.lockoutThreshold, 10);
  });

  test('two saves at once, of different fields, both hold: neither undoes the other', async () => {
    const co = await company();
    const master = await member(co, 'parallel', 'master');
    await signUp(server, master.link);
    const other = server.agent();
    await logIn(server, other, master);
    for (let round = 0; round < 8; round++) {
      const threshold = 6 + (round % 5);
      const twoPerson = round % 2 === 0;
      await Promise.all([setPolicy(co.agent, { twoPerson2faReset: twoPerson }), setPolicy(other, { lockoutThreshold: threshold })]);
      const stored = (await co.agent.get('/api/company/policy')).body.policy;
      assert.deepEqual([stored.twoPerson2faReset, stored.lockoutThreshold], [twoPerson, threshold], `round ${round}`);
    }
  });

  test('every field is validated; a refused change changes nothing; accepted values are normalized and audited', async () => {
    const co = await company();
    const refused: Array<[object, string]> = [
      [{ passwordMinLength: 7 }, 'passwordMinLength'],
      [{ passwordMinLength: 65 }, 'passwordMinLength'],
      [{ passwordMinLength: '12' }, 'passwordMinLength'],
      [{ passwordMinLength: 8.5 }, 'passwordMinLength'],
      [{ passwordClasses: ['lower', 'emoji'] }, 'passwordClasses.1'],
      [{ passwordClasses: 'lower' }, 'passwordClasses'],
      [{ lockoutThreshold: 2 }, 'lockoutThreshold'],
      [{ lockoutThreshold: 21 }, 'lockoutThreshold'],
      [{ lockoutMinutes: 0 }, 'lockoutMinutes'],
      [{ lockoutMinutes: 1441 }, 'lockoutMinutes'],
      [{ sessionAbsoluteMinutes: 14 }, 'sessionAbsoluteMinutes'],
      [{ sessionAbsoluteMinutes: 1441 }, 'sessionAbsoluteMinutes'],
      [{ sessionIdleMinutes: 4 }, 'sessionIdleMinutes'],
      [{ sessionAbsoluteMinutes: 60, sessionIdleMinutes: 61 }, 'sessionIdleMinutes'],
      [{ sessionAbsoluteMinutes: 20 }, 'sessionIdleMinutes'], // the idle 30 would outlast it
      [{ ipAllowlist: ['127.0.0.1', 'not-an-ip'] }, 'ipAllowlist.1'],
      [{ ipAllowlist: ['10.0.0.0/33'] }, 'ipAllowlist.0'],
      [{ ipAllowlist: ['fe80::1%eth0'] }, 'ipAllowlist.0'],
      [{ ipAllowlist: ['x'.repeat(65)] }, 'ipAllowlist.0'],
      [{ ipAllowlist: Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`) }, 'ipAllowlist'],
      [{ ipAllowlist: '127.0.0.1' }, 'ipAllowlist'],
      [{ twoPerson2faReset: 'yes' }, 'twoPerson2faReset'],
    ];
    for (const [body, field] of refused) {
      const answer = await co.agent.post('/api/company/policy', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error.code, 'request.invalid', JSON.stringify(body));
      assert.equal(typeof answer.body.error.fields?.[field], 'string', `${JSON.stringify(body)}: ${JSON.stringify(answer.body.error.fields)}`);
    }
    assert.deepEqual((await co.agent.get('/api/company/policy')).body.policy, DEFAULTS);

    const highest = { passwordMinLength: 64, lockoutThreshold: 20, lockoutMinutes: 1440, sessionAbsoluteMinutes: 1440, sessionIdleMinutes: 1440 };
    assert.deepEqual(await setPolicy(co.agent, highest), { ...DEFAULTS, ...highest });
    const lowest = { passwordMinLength: 8, lockoutThreshold: 3, lockoutMinutes: 1, sessionAbsoluteMinutes: 15, sessionIdleMinutes: 5, passwordClasses: [] };
    assert.deepEqual(await setPolicy(co.agent, lowest), { ...DEFAULTS, ...lowest });

    const saved = await setPolicy(co.agent, {
      passwordClasses: ['symbol', 'lower', 'lower'],
      ipAllowlist: ['127.0.0.1', ' 10.1.2.3/8 ', '2001:DB8::1/32', '10.0.0.0/8', '::1'],
      twoPerson2faReset: true,
    });
    assert.deepEqual(saved.passwordClasses, ['lower', 'symbol']);
    assert.deepEqual(saved.ipAllowlist, ['127.0.0.1/32', '10.0.0.0/8', '2001:db8::/32', '::1/128']);
    assert.deepEqual((await co.agent.get('/api/company/policy')).body.policy, saved);

    const events = await server.gatehouse.storage.db
      .selectFrom('audit_events')
      .select(['detail', 'actor_id', 'ip'])
      .where('company_id', '=', co.companyId)
      .where('action', '=', 'policy.changed')
      .orderBy('id')
      .execute();
    assert.equal(events.length, 3);
    assert.equal(events[2]!.ip, '127.0.0.1');
    assert.deepEqual(JSON.parse(events[2]!.detail ?? '{}'), {
      before: { passwordClasses: [], ipAllowlist: [], twoPerson2faReset: false },
      after: { passwordClasses: ['lower', 'symbol'], ipAllowlist: saved.ipAllowlist, twoPerson2faReset: true },
    });
  });

  test("an allowlist without the saving Master's own address is refused (no self-lockout)", async () => {
    const co = await company();
    const answer = await co.agent.post('/api/company/policy', { ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, 'policy.locks_out_self');
    assert.match(answer.body.error.fields.ipAllowlist, /127\.0\.0\.1/);
    assert.deepEqual((await co.agent.get('/api/company/policy')).body.policy.ipAllowlist, []);
    assert.deepEqual((await setPolicy(co.agent, { ipAllowlist: ['10.0.0.0/8', '127.0.0.0/8'] })).ipAllowlist, ['10.0.0.0/8', '127.0.0.0/8']);
    assert.deepEqual((await setPolicy(co.agent, { ipAllowlist: [] })).ipAllowlist, []);
  });

  test('the lockout threshold and duration follow the company', async () => {
    const strict = await company();
    await setPolicy(strict.agent, { lockoutThreshold: 3, lockoutMinutes: 2 });
    const kim = await member(strict, 'kim');
    await signUp(server, kim.link);
    for (let i = 0; i < 3; i += 1) assert.equal((await passwordStep(kim, `Wrong-Guess-${i}!`)).status, 401);
    assert.equal((await passwordStep(kim, STRONG_PASSWORD)).status, 401, 'locked after 3');
    server.clock.advance(2 * 60_000 - 1000);
    assert.equal((await passwordStep(kim, STRONG_PASSWORD)).status, 401, 'still locked a second before 2 minutes');
    server.clock.advance(1000);
    assert.equal((await passwordStep(kim, STRONG_PASSWORD)).body.step, 'enroll', 'the lock lifts after 2 minutes');

    // Another company keeps the default: three wrong passwords do not lock there.
    const relaxed = await company();
    const lee = await member(relaxed, 'lee');
    await signUp(server, lee.link);
    for (let i = 0; i < 4; i += 1) assert.equal((await passwordStep(lee, `Wrong-Guess-${i}!`)).status, 401);
    assert.equal((await passwordStep(lee, STRONG_PASSWORD)).status, 200, 'four of five');

    // Lowered under a user's count, the threshold locks at the next attempt, for the
    // company's duration, and the lock runs out.
    await setPolicy(relaxed.agent, { lockoutThreshold: 3, lockoutMinutes: 1 });
    assert.equal((await passwordStep(lee, STRONG_PASSWORD)).status, 401, 'now over the threshold');
    server.clock.advance(60_000);
    assert.equal((await passwordStep(lee, STRONG_PASSWORD)).status, 200);
  });

  test('a shorter idle timeout or session limit ends sessions sooner, existing ones too', async () => {
    const co = await company();
    const other = await company();
    await setPolicy(co.agent, { sessionIdleMinutes: 5 });
    server.clock.advance(4 * 60_000);
    assert.equal((await co.agent.get('/api/me')).status, 200);
    server.clock.advance(4 * 60_000);
    assert.equal((await co.agent.get('/api/me')).status, 200, 'use keeps it alive');
    server.clock.advance(5 * 60_000);
    assert.equal((await co.agent.get('/api/me')).status, 401, 'five minutes idle');
    assert.equal((await other.agent.get('/api/me')).status, 200, "the other company's 30 minutes still hold");

    const admin = server.agent();
    await logIn(server, admin, co);
    await setPolicy(admin, { sessionAbsoluteMinutes: 15 });
    assert.equal((await admin.get('/api/company/policy')).status, 200);
    const started = server.clock();
    const busy = server.agent();
    const identified = await busy.post('/api/login/identify', co);
    assert.equal(identified.status, 200);
    await busy.post('/api/login/password', { password: co.password });
    server.clock.advance(30_000);
    const done = await busy.post('/api/login/totp', { code: totpAt(co.totpSecret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.match(done.setCookies.join('\n'), /gh_session=[^;]+;.*Max-Age=900\b/i, 'the cookie lives 15 minutes');
    while (server.clock() + 4 * 60_000 < started + 30_000 + 15 * 60_000) {
      server.clock.advance(4 * 60_000);
      assert.equal((await busy.get('/api/me')).status, 200);
      assert.equal((await admin.get('/api/me')).status, 200);
    }
    server.clock.set(started + 30_000 + 15 * 60_000);
    assert.equal((await busy.get('/api/me')).status, 401, 'the 15-minute limit');
    assert.equal((await admin.get('/api/me')).status, 401, 'an older session is held to the shorter limit too');
  });

  test("the password rule follows the company at sign-up, and the common-password check still applies", async () => {
    const co = await company();
    await setPolicy(co.agent, { passwordMinLength: 16, passwordClasses: ['lower'] });
    const newbie = await member(co, 'newbie');
    const page = await server.agent().get(`/api/signup/${newbie.token}`);
    assert.equal(page.status, 200);
    assert.deepEqual(page.body.passwordPolicy, { minLength: 16, classes: ['lower'] });
    assert.equal(page.body.companyId, undefined);

    const attempt = (password: string) => server.agent().post('/api/signup', { token: newbie.token, password, confirm: password });
    const short = await attempt('Vx7!kQ2#zP');
    assert.equal(short.status, 400);
    assert.equal(short.body.error.code, 'password.too_weak');
    assert.match(short.body.error.fields.password, /16 characters/);
    const common = await attempt('passwordpassword');
    assert.equal(common.status, 400);
    assert.equal(common.body.error.code, 'password.too_common');
    assert.equal((await attempt('violet tundra marmalade orbit')).status, 200, 'no upper case, digit or symbol needed here');

    const elsewhere = await member(await company(), 'classic');
    assert.deepEqual((await server.agent().get(`/api/signup/${elsewhere.token}`)).body.passwordPolicy, { minLength: 8, classes: DEFAULTS.passwordClasses });
    const refused = await server.agent().post('/api/signup', { token: elsewhere.token, password: 'violet tundra marmalade orbit', confirm: 'violet tundra marmalade orbit' });
    assert.equal(refused.body.error.code, 'password.too_weak', 'the default rule still wants every class');
  });

  test('an IP allowlist refuses logins from outside after the password step; step one answers as usual', async () => {
    const co = await company();
    const { db } = server.gatehouse.storage;
    await db.updateTable('companies').set({ ip_allowlist: JSON.stringify(['10.0.0.0/8']) }).where('id', '=', co.companyId).execute();

    const agent = server.agent();
    const identified = await agent.post('/api/login/identify', { username: co.username, companyName: co.companyName });
    assert.equal(identified.status, 200);
    const { loginId, ...answer } = identified.body;
    assert.deepEqual(answer, { step: 'password', username: co.username, companyName: co.companyName });
    assert.match(loginId, /^[0-9a-f]{32}$/, 'the login is named as any other');
    const wrong = await agent.post('/api/login/password', { password: 'Not-The-Password-1!' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'login.invalid_credentials');
    const refused = await agent.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body.error, {
      code: 'login.ip_not_allowed',
      message: "Logins to this company are not allowed from your network. Contact your company's Master.",
    });
    assert.deepEqual((await agent.get('/api/login')).body, { step: 'identify' }, 'the flow is over');
    assert.equal((await agent.post('/api/login/totp', { code: '123456' })).status, 409);
    const audited = await db.selectFrom('audit_events').select(['ip']).where('company_id', '=', co.companyId).where('action', '=', 'login.ip_refused').execute();
    assert.deepEqual(audited.map((e) => e.ip), ['127.0.0.1']);

    await db.updateTable('companies').set({ ip_allowlist: JSON.stringify(['10.0.0.0/8', '127.0.0.0/8']) }).where('id', '=', co.companyId).execute();
    await logIn(server, server.agent(), co);
  });
});
