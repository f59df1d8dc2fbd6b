// Recovery codes over HTTP: ten shown once at enrollment, each usable once at the code
// step (counted toward the lockout like a TOTP code), regenerable with the password and a
// current code, and a login with one says so in the session's and ID token's `amr`; each
// use mails its owner; the own 2FA reset takes one instead of the app's code.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, grantedModule, nextTotpCode, signInToModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

const CODE_FORMAT = /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{2}$/;
const WRONG_CODE = 'aaaa-aaaa-aa';
const sessionCookies = (agent: Agent) => [...agent.cookies.keys()].filter((k) => k.includes('session'));

for (const engine of await enginesUnderTest()) describe(`recovery codes (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Recovery Co', emailDomain: 'recovery.test' });
  });
  after(() => server.close());

  /** A Root Master who has just enrolled 2FA: their signed-in agent and the ten codes. */
  async function enrolledUser() {
    const user = await tenants.signedUp();
    const agent = server.agent();
    await agent.post('/api/login/identify', user);
    assert.equal((await agent.post('/api/login/password', { password: user.password })).body.step, 'enroll');
    const totpSecret = (await agent.post('/api/login/enroll/start')).body.secret as string;
    const done = await agent.post('/api/login/enroll/verify', { code: totpAt(totpSecret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    server.clock.advance(30_000);
    return { ...user, agent, totpSecret, codes: done.body.recoveryCodes as string[], done };
  }
  async function atCodeStep(user: { username: string; companyName: string; password: string }) {
    const agent = server.agent();
    await agent.post('/api/login/identify', user);
    assert.equal((await agent.post('/api/login/password', { password: user.password })).body.step, 'totp');
    return agent;
  }

  test('enrollment answers with ten codes, once; only keyed hashes are stored; GET tells how many are left', async () => {
    const user = await enrolledUser();
    assert.equal(user.done.body.step, 'done');
    assert.equal(user.codes.length, 10);
    assert.equal(new Set(user.codes).size, 10);
    for (const code of user.codes) assert.match(code, CODE_FORMAT);

    const status = await user.agent.get('/api/me/recovery-codes');
    assert.equal(status.status, 200);
    assert.equal(status.body.remaining, 10);
    assert.equal(status.body.total, 10);
    assert.equal(status.body.generatedAt, new Date(server.clock() - 30_000).toISOString());
    assert.equal(Object.keys(status.body).includes('codes'), false);
    assert.equal((await server.agent().get('/api/me/recovery-codes')).status, 401);

    const rows = await server.gatehouse.storage.db.selectFrom('recovery_codes').select('code_hash').where('company_id', '=', user.companyId).execute();
    assert.equal(rows.length, 10);
    for (const code of user.codes) {
      const compact = code.replace(/-/g, '');
      const plainHashes = [code, compact].map((c) => createHash('sha256').update(c).digest('hex'));
      assert.ok(rows.every((r) => !r.code_hash.includes(compact) && !plainHashes.includes(r.code_hash)), 'a keyed hash, not the code');
    }
  });

  test('each code finishes the login once, with amr pwd + mfa; a used, malformed or foreign code does not', async () => {
    const user = await enrolledUser();
    const other = await enrolledUser();
    const first = await atCodeStep(user);
    const done = await first.post('/api/login/recovery', { code: user.codes[0] });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(done.body, { step: 'done' });
    assert.equal(sessionCookies(first).length, 1);
    assert.deepEqual((await first.get('/api/me')).body.session.amr, ['pwd', 'mfa']);

    const again = await atCodeStep(user);
    const reused = await again.post('/api/login/recovery', { code: user.codes[0] });
    assert.equal(reused.status, 409);
    assert.equal(reused.body.error.code, 'recovery.already_used');
    const foreign = await again.post('/api/login/recovery', { code: other.codes[0] });
    assert.equal(foreign.body.error.code, 'recovery.invalid_code', "another user's code");
    const malformed = await again.post('/api/login/recovery', { code: 'hello' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'request.invalid');
    const typed = ` ${user.codes[1]!.toUpperCase().replace(/-/g, ' ')} `;
    assert.equal((await again.post('/api/login/recovery', { code: typed })).status, 200, 'any case, spaces for dashes');
    assert.equal((await again.get('/api/me/recovery-codes')).body.remaining, 8);
    assert.equal((await other.agent.get('/api/me/recovery-codes')).body.remaining, 10);

    const events = await server.gatehouse.storage.db
      .selectFrom('audit_events').select('detail').where('company_id', '=', user.companyId).where('action', '=', 'login.succeeded').execute();
    assert.equal(events.filter((e) => JSON.parse(e.detail ?? '{}').factor === 'recovery_code').length, 2);

    // Only at the code step: not before the password, not without a flow.
    const early = server.agent();
    await early.post('/api/login/identify', user);
    assert.equal((await early.post('/api/login/recovery', { code: user.codes[2] })).body.error.code, 'login.wrong_step');
    assert.equal((await server.agent().post('/api/login/recovery', { code: user.codes[2] })).body.error.code, 'login.flow_expired');
    assert.deepEqual(sessionCookies(early), []);
  });

  test('the same code from three flows at once: exactly one wins', async () => {
    const user = await enrolledUser();
    const flows = await Promise.all([atCodeStep(user), atCodeStep(user), atCodeStep(user)]);
    const answers = await Promise.all(flows.map((f) => f.post('/api/login/recovery', { code: user.codes[3] })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409, 409]);
  });

  test('wrong codes count like wrong TOTP codes: a cap per flow, and the account lockout across flows', async () => {
    const user = await enrolledUser();
    const flow = await atCodeStep(user);
    for (let i = 0; i < 4; i += 1) assert.equal((await flow.post('/api/login/recovery', { code: WRONG_CODE })).status, 401);
    const fifth = await flow.post('/api/login/recovery', { code: WRONG_CODE });
    assert.equal(fifth.status, 429);
    // The flow's fifth is also the account's fifth (the default lockout): the lock is what it says.
    assert.equal(fifth.body.error.code, 'account.locked');
    assert.equal((await flow.post('/api/login/recovery', { code: user.codes[0] })).status, 409, 'the flow ended: even a right code is too late');

    server.clock.advance(15 * 60_000); // the five wrong codes above locked the account
    const wrongTotp = ['000000', '123456', '999999'].find((c) => ![-1, 0, 1].some((o) => totpAt(user.totpSecret, server.clock(), o) === c))!;
    let last: Agent | undefined;
    for (const [path, code] of [['/api/login/totp', wrongTotp], ['/api/login/recovery', WRONG_CODE], ['/api/login/recovery', WRONG_CODE]] as const) {
      last = await atCodeStep(user);
      for (let i = 0; i < (path === '/api/login/totp' ? 2 : 1); i += 1) assert.equal((await last.post(path, { code })).status, 401);
    }
    last = await atCodeStep(user);
    const fifth2 = await last.post('/api/login/recovery', { code: WRONG_CODE });
    assert.equal(fifth2.status, 429, 'the fifth failure locks, and says so');
    assert.equal(fifth2.body.error.code, 'account.locked');
    const locked = await last.post('/api/login/recovery', { code: user.codes[0] });
    assert.equal(locked.status, 429, 'a right code is refused while locked');
    assert.equal(locked.body.error.code, 'account.locked');
    assert.deepEqual(sessionCookies(last), []);
    const refused = server.agent();
    await refused.post('/api/login/identify', user);
    assert.equal((await refused.post('/api/login/password', { password: user.password })).body.error.code, 'login.invalid_credentials');

    // The second lock since the last login lasts twice the first (src/login/lockout.ts, nextLockMs).
    server.clock.advance(15 * 60_000);
    const stillLocked = server.agent();
    await stillLocked.post('/api/login/identify', user);
    assert.equal((await stillLocked.post('/api/login/password', { password: user.password })).body.error?.code, 'login.invalid_credentials', 'locked for 30 minutes, not 15');
    server.clock.advance(15 * 60_000);
    assert.equal((await (await atCodeStep(user)).post('/api/login/recovery', { code: user.codes[0] })).status, 200, 'the lock lifts');
  });

  test('regenerating needs the password and a current code, returns ten new codes once, and ends the old ones', async () => {
    const user = await enrolledUser();
    const regenerate = (body: object, agent = user.agent) => agent.post('/api/me/recovery-codes', body);
    const code = () => totpAt(user.totpSecret, server.clock());
    assert.equal((await regenerate({ password: user.password, code: code() }, server.agent())).status, 401);
    const wrongPassword = await regenerate({ password: 'Not-The-Password-1!', code: code() });
    assert.equal(wrongPassword.status, 400);
    assert.equal(wrongPassword.body.error.code, 'password.current_invalid');
    assert.equal(typeof wrongPassword.body.error.fields.password, 'string');
    const wrongCode = await regenerate({ password: user.password, code: totpAt(user.totpSecret, server.clock(), 3) });
    assert.equal(wrongCode.body.error.code, 'totp.code_refused');
    assert.equal(typeof wrongCode.body.error.fields.code, 'string');
    assert.equal((await regenerate({ password: user.password })).body.error.code, 'request.invalid');

    const current = code();
    const renewed = await regenerate({ password: user.password, code: current });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    const fresh = renewed.body.recoveryCodes as string[];
    assert.equal(fresh.length, 10);
    for (const c of fresh) assert.match(c, CODE_FORMAT);
    assert.equal(fresh.filter((c) => user.codes.includes(c)).length, 0);
    assert.equal((await regenerate({ password: user.password, code: current })).body.error.code, 'totp.already_used', 'a code works once');
    assert.deepEqual(Object.keys((await user.agent.get('/api/me/recovery-codes')).body).sort(), ['generatedAt', 'remaining', 'total']);

    const old = await atCodeStep(user);
    assert.equal((await old.post('/api/login/recovery', { code: user.codes[5] })).body.error.code, 'recovery.invalid_code', 'old codes are dead');
    assert.equal((await old.post('/api/login/recovery', { code: fresh[0] })).status, 200);
    assert.equal((await old.get('/api/me/recovery-codes')).body.remaining, 9);
    const audited = await server.gatehouse.storage.db
      .selectFrom('audit_events').select('action').where('company_id', '=', user.companyId).where('action', '=', 'recovery_codes.regenerated').execute();
    assert.equal(audited.length, 1);

    // Wrong passwords here count toward the lockout too.
    for (let i = 0; i < 5; i += 1) assert.equal((await regenerate({ password: `Wrong-${i}-Guess!`, code: code() }, old)).status, 400);
    server.clock.advance(30_000);
    const locked = await regenerate({ password: user.password, code: code() }, old);
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error.code, 'account.locked');
    assert.ok(Number(locked.headers.get('retry-after')) > 60, 'the wait is the lock\'s, not a minute');
  });

  // Whoever holds a copy of the codes (printed, downloaded) and the password signs in with
  // one: the owner is mailed a notice of each use, queued in the transaction that spends
  // the code (secondFactor, src/login/second-factor.ts; recovery_code_used).
  test('each sign-in with a recovery code mails its owner a notice', async () => {
    const user = await enrolledUser();
    const notices = () => server.mail.messages.filter((m) => m.to.includes(user.email) && m.subject === 'A Gatehouse recovery code was used to sign in');
    for (const [index, code] of user.codes.slice(0, 2).entries()) {
      assert.equal((await (await atCodeStep(user)).post('/api/login/recovery', { code })).status, 200);
      await server.mail.waitFor(() => notices().length === index + 1);
      assert.match(notices()[index]?.text ?? '', /A recovery code was used to sign in/);
    }
  });

  // A phone lost: the codes stand for the app at the own 2FA reset too (the password and
  // one unused code, spent in the reset's transaction), so the owner sets up a new app
  // without asking a Master or spending the codes a login at a time. Wrong ones count
  // toward the lockout as the app's do; step-up still takes only the app's code or a key.
  test('the own 2FA reset takes the password and an unused recovery code; the next login sets up 2FA again', async () => {
    const user = await enrolledUser();
    const agent = await atCodeStep(user);
    assert.equal((await agent.post('/api/login/recovery', { code: user.codes[0] })).status, 200);
    assert.equal((await agent.post('/api/me/reauth', { password: user.password, recoveryCode: user.codes[1] })).status, 400, 'no step-up with a code');
    const reset = (recoveryCode: string, password = user.password) => agent.post('/api/me/two-factor/reset', { password, recoveryCode });
    assert.deepEqual(((r) => [r.status, r.body.error?.code])(await reset(user.codes[0]!)), [409, 'recovery.already_used'], 'the code the login spent');
    assert.deepEqual(((r) => [r.status, r.body.error?.code])(await reset(user.codes[1]!, 'not-the-password-1A!')), [400, 'password.current_invalid']);
    const done = await reset(user.codes[1]!);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal((await agent.get('/api/me')).status, 401, 'signed out everywhere');
    const next = server.agent();
    await next.post('/api/login/identify', user);
    assert.equal((await next.post('/api/login/password', { password: user.password })).body.step, 'enroll');
  });

  test('wrong recovery codes at the own 2FA reset count toward the lockout', async () => {
    const user = await enrolledUser();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await user.agent.post('/api/me/two-factor/reset', { password: user.password, recoveryCode: WRONG_CODE }));
    assert.deepEqual(answers.slice(0, 4).map((a) => a.body.error?.code), Array(4).fill('recovery.invalid_code'));
    const locked = await user.agent.post('/api/me/two-factor/reset', { password: user.password, recoveryCode: user.codes[0] });
    assert.deepEqual([locked.status, locked.body.error?.code], [429, 'account.locked'], 'a right code is refused while locked');
  });
});

describe('recovery codes: a module sees the login in the ID token', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ realClock: true });
  });
  after(() => server.close());

  test('a login with a recovery code gives the module amr ["pwd", "mfa"] and the 2FA acr', async () => {
    const operator = await signedInOperator(server);
    const acme = await companyWithRootMaster(server, operator.agent, 'Recovery Module Co');
    const module = await grantedModule(server, operator.agent, acme.companyId, { name: 'Ticketing' });
    const renewed = await acme.agent.post('/api/me/recovery-codes', { password: acme.password, code: await nextTotpCode(acme.totpSecret) });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));

    const browser = server.agent();
    await browser.post('/api/login/identify', { username: acme.username, companyName: acme.companyName });
    assert.equal((await browser.post('/api/login/password', { password: acme.password })).body.step, 'totp');
    assert.equal((await browser.post('/api/login/recovery', { code: renewed.body.recoveryCodes[0] })).status, 200);
    const { claims } = await signInToModule(module.config, browser);
    assert.deepEqual(claims.amr, ['pwd', 'mfa']);
    assert.equal(claims.acr, 'urn:gatehouse:loa:2fa');
  });
});
