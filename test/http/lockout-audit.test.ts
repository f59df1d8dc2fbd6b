// Every way an account can lock leaves exactly one `login.locked` in the audit trail
// (docs/SECURITY.md: "when an account locks"), saying after what: the login's password,
// TOTP code or recovery code, the current password asked in My Settings, or the proof
// asked again before a sensitive change. The lock and its event are written together
// (src/login/lockout.ts), so a lock is never silent and parallel guesses never double it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

const THRESHOLD = 5;
const WRONG = 'Wrong-Password-1!';
const NEW_PASSWORD = 'Quartz-Lantern-87?';
const WRONG_RECOVERY_CODE = 'aaaa-bbbb-22';

for (const engine of await enginesUnderTest()) describe(`every lockout is audited once (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Lockout Audit Co', emailDomain: 'lockout-audit.test' });
  });
  after(() => server.close());

  type Member = Awaited<ReturnType<typeof tenants.member>>;
  type Answer = { status: number; body: { error?: { code?: string } } };

  /** The lock as the owner meets it (the right password refused), and the trail's login.locked events. */
  async function lockoutOf(m: Member) {
    const db = server.gatehouse.storage.db;
    const user = await db.selectFrom('users').select(['id', 'locked_until']).where('company_id', '=', m.companyId).where('role', '=', 'root_master').executeTakeFirstOrThrow();
    const events = await db.selectFrom('audit_events').select(['actor_id', 'target', 'detail']).where('company_id', '=', m.companyId).where('action', '=', 'login.locked').execute();
    const browser = server.agent();
    await browser.post('/api/login/identify', { username: m.username, companyName: m.companyName });
    const login = await browser.post('/api/login/password', { password: m.password });
    return { user, events, ownerRefused: login.status !== 200 };
  }

  async function assertLockedOnce(m: Member, after: string) {
    const { user, events, ownerRefused } = await lockoutOf(m);
    assert.ok(user.locked_until !== null, 'the account is locked');
    assert.ok(ownerRefused, 'the right password is refused at the login');
    assert.equal(events.length, 1, `exactly one login.locked: ${JSON.stringify(events)}`);
    assert.equal(events[0]!.actor_id, user.id);
    assert.equal(events[0]!.target, user.id);
    assert.deepEqual(JSON.parse(events[0]!.detail ?? 'null'), { after });
  }

  /** `times` wrong guesses, one after another, each in a fresh TOTP step. */
  async function guess(times: number, attempt: (m: Member) => Promise<Answer>, m: Member) {
    for (let i = 0; i < times; i += 1) {
      server.clock.advance(30_000);
      const answer = await attempt(m);
      assert.ok(answer.status >= 400 && answer.status < 500, JSON.stringify(answer.body));
    }
  }

  async function atCodeStep(m: Member) {
    const browser = server.agent();
    await browser.post('/api/login/identify', { username: m.username, companyName: m.companyName });
    const step = await browser.post('/api/login/password', { password: m.password });
    assert.equal(step.body.step, 'totp', JSON.stringify(step.body));
    return browser;
  }

  const wrongCodeFor = (m: Member) => totpAt(m.totpSecret, server.clock() + 10 * 60_000);

  test('at the login: wrong passwords', async () => {
    const m = await tenants.member();
    const browser = server.agent();
    await guess(
      THRESHOLD,
      async () => {
        await browser.post('/api/login/identify', { username: m.username, companyName: m.companyName });
        return browser.post('/api/login/password', { password: WRONG });
      },
      m,
    );
    await assertLockedOnce(m, 'password');
  });

  test('at the login: wrong app codes', async () => {
    const m = await tenants.member();
    const browser = await atCodeStep(m);
    await guess(THRESHOLD, () => browser.post('/api/login/totp', { code: wrongCodeFor(m) }), m);
    await assertLockedOnce(m, 'totp');
  });

  test('at the login: wrong recovery codes', async () => {
    const m = await tenants.member();
    const browser = await atCodeStep(m);
    await guess(THRESHOLD, () => browser.post('/api/login/recovery', { code: WRONG_RECOVERY_CODE }), m);
    await assertLockedOnce(m, 'recovery_code');
  });

  const currentPasswordChecks: Array<[string, (m: Member) => Promise<Answer>]> = [
    ['Change password', (m) => m.agent.post('/api/me/password', { currentPassword: WRONG, newPassword: NEW_PASSWORD, confirm: NEW_PASSWORD })],
    ['Change email', (m) => m.agent.post('/api/me/email', { email: `new-${m.companyId}@lockout-audit.test`, password: WRONG })],
    ['Add a key', (m) => m.agent.post('/api/me/security-keys/options', { password: WRONG })],
  ];
  for (const [where, attempt] of currentPasswordChecks) {
    test(`in My Settings: wrong current passwords at "${where}"`, async () => {
      const m = await tenants.member();
      await guess(THRESHOLD, attempt, m);
      await assertLockedOnce(m, 'current_password');
    });
  }

  const reauths: Array<[string, string]> = [
    ['/api/me/recovery-codes', 'reauth:recovery_codes'],
    ['/api/me/two-factor/reset', 'reauth:two_factor_reset'],
  ];
  for (const [path, after] of reauths) {
    test(`confirming it is me at ${path}: wrong passwords`, async () => {
      const m = await tenants.member();
      await guess(THRESHOLD, () => m.agent.post(path, { password: WRONG, code: totpAt(m.totpSecret, server.clock()) }), m);
      await assertLockedOnce(m, after);
    });

    test(`confirming it is me at ${path}: wrong codes`, async () => {
      const m = await tenants.member();
      await guess(THRESHOLD, () => m.agent.post(path, { password: m.password, code: wrongCodeFor(m) }), m);
      await assertLockedOnce(m, after);
    });
  }

  test('50 parallel wrong current passwords: one lock, one login.locked', async () => {
    const m = await tenants.member();
    const attempt = () => m.agent.post('/api/me/password', { currentPassword: WRONG, newPassword: NEW_PASSWORD, confirm: NEW_PASSWORD });
    const answers = await Promise.all(Array.from({ length: 50 }, attempt));
    assert.ok(answers.every((a) => a.status >= 400));
    await assertLockedOnce(m, 'current_password');
  });

  test('50 parallel wrong app codes over several logins: one lock, one login.locked', async () => {
    const m = await tenants.member();
    const browsers = await Promise.all(Array.from({ length: 5 }, () => atCodeStep(m)));
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => browsers[i % browsers.length]!.post('/api/login/totp', { code: wrongCodeFor(m) })));
    assert.ok(answers.every((a) => a.status >= 400));
    await assertLockedOnce(m, 'totp');
  });
});
