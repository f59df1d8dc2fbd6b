// The second factor (RFC 6238) as an attacker meets it: each code works once, only one
// step of drift either way, a cap on wrong codes, the secret shown only while enrolling,
// and no way round the factor to a session.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { HOLD_WINDOW_MS, HOLDS_LAPSE_MS } from '../../src/login/attempt-holds.ts';

// jsqr is CommonJS: Node hands over module.exports, which also carries `default`.
const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ?? jsQRModule) as (
  data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;

function decodeQrDataUrl(dataUrl: string): string | undefined {
  const image = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength), image.width, image.height)?.data;
}

for (const engine of await enginesUnderTest()) describe(`TOTP second factor (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Totp Co', emailDomain: 'totp.test' });
  });
  after(() => server.close());

  /** A signed-up Root Master who has not enrolled 2FA yet. */
  const signedUpUser = () => tenants.signedUp();
  /** One who has enrolled 2FA at their first login (and is signed in). */
  const enrolledUser = () => tenants.member();
  async function atStep(user: { username: string; companyName: string; password: string }, step: 'totp' | 'enroll') {
    const agent = server.agent();
    await agent.post('/api/login/identify', user);
    const answer = await agent.post('/api/login/password', { password: user.password });
    assert.equal(answer.body.step, step);
    return agent;
  }
  /** A well-formed code that matches no step in the ±1 window. */
  const wrongCode = (secret: string) => {
    const window = [-1, 0, 1].map((o) => totpAt(secret, server.clock(), o));
    return ['000000', '123456', '999999'].find((c) => !window.includes(c)) as string;
  };
  const sessionCookies = (agent: Agent) => [...agent.cookies.keys()].filter((k) => k.includes('session'));

  test('enrollment: a 160-bit secret, the same for the flow, a QR with issuer and company label, never shown again, stored encrypted', async () => {
    const user = await signedUpUser();
    const agent = await atStep(user, 'enroll');
    const first = await agent.post('/api/login/enroll/start');
    const second = await agent.post('/api/login/enroll/start');
    assert.equal(first.status, 200);
    const secret = first.body.secret as string;
    assert.match(secret, /^[A-Z2-7]{32}$/, '32 base32 characters = 160 bits');
    assert.equal(second.body.secret, secret, 'a reload shows the same secret');
    assert.equal(first.body.secretGrouped.replace(/ /g, ''), secret);
    assert.equal(first.body.issuer, 'Gatehouse');
    assert.ok(first.body.apps.includes('Google Authenticator'));

    const uri = new URL(decodeQrDataUrl(first.body.qrCodeDataUrl) ?? 'missing:');
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Gatehouse');
    assert.equal(uri.searchParams.get('digits') ?? '6', '6');
    assert.equal(uri.searchParams.get('period') ?? '30', '30');
    const label = decodeURIComponent(uri.pathname.slice(1));
    assert.ok(label.startsWith('Gatehouse:') && label.includes(user.companyName) && label.includes(user.username), label);

    const enrollmentCode = totpAt(secret, server.clock());
    const done = await agent.post('/api/login/enroll/verify', { code: enrollmentCode });
    assert.equal(done.status, 200);
    assert.equal(sessionCookies(agent).length, 1);
    assert.deepEqual((await agent.get('/api/me')).body.session.amr, ['pwd', 'otp']);

    // The next login asks for a code; the secret is not offered again, and the
    // enrollment code cannot be used a second time.
    const next = await atStep(user, 'totp');
    const again = await next.post('/api/login/enroll/start');
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'login.wrong_step');
    assert.ok(!JSON.stringify(again.body).includes(secret));
    const reuse = await next.post('/api/login/totp', { code: enrollmentCode });
    assert.equal(reuse.status, 409);
    assert.equal(reuse.body.error.code, 'totp.already_used');
    assert.match(reuse.body.error.message, /already used\. Wait for the next code/);

    const stored = await server.gatehouse.storage.db.selectFrom('users').select('totp_secret').where('company_id', '=', user.companyId).executeTakeFirstOrThrow();
    assert.ok(stored.totp_secret && !stored.totp_secret.includes(secret), 'the secret is stored encrypted');
  });

  test('a code is accepted once; one step of drift either way is accepted, two are not', async () => {
    const user = await enrolledUser();
    const code = (offset: number) => ({ code: totpAt(user.totpSecret, server.clock(), offset) });
    const first = await atStep(user, 'totp');
    for (const offset of [-2, 2]) {
      const refused = await first.post('/api/login/totp', code(offset));
      assert.equal(refused.status, 401, `offset ${offset}`);
      assert.equal(refused.body.error.code, 'totp.invalid_code');
    }
    assert.equal((await first.post('/api/login/totp', code(0))).status, 200);

    const replay = await atStep(user, 'totp');
    assert.equal((await replay.post('/api/login/totp', code(0))).status, 409, 'the same code again');
    assert.equal((await replay.post('/api/login/totp', code(-1))).status, 409, 'an older code after a newer one');
    assert.equal((await replay.post('/api/login/totp', code(1))).status, 200, 'the next step (phone clock ahead)');

    server.clock.advance(5 * 60_000);
    const behind = await atStep(user, 'totp');
    assert.equal((await behind.post('/api/login/totp', code(-1))).status, 200, 'the previous step (phone clock behind)');
  });

  test('the same code sent from two flows at once: exactly one wins', async () => {
    const user = await enrolledUser();
    const flows = await Promise.all([atStep(user, 'totp'), atStep(user, 'totp'), atStep(user, 'totp')]);
    const code = totpAt(user.totpSecret, server.clock());
    const answers = await Promise.all(flows.map((f) => f.post('/api/login/totp', { code })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409, 409]);
  });

  test('too many wrong codes end the flow, at the code step and at enrollment', async () => {
    // The flow's cap is five; the default lockout is five too (where the fifth says the
    // account is locked: lock-at-flow-cap.test.ts), so this company allows more.
    const user = await enrolledUser();
    const raised = await withFreshProof(server, user.agent, () => user.agent.post('/api/company/policy', { lockoutThreshold: 10 }));
    assert.equal(raised.status, 200, JSON.stringify(raised.body));
    const agent = await atStep(user, 'totp');
    for (let i = 1; i <= 4; i += 1) {
      const wrong = await agent.post('/api/login/totp', { code: wrongCode(user.totpSecret) });
      assert.equal(wrong.status, 401);
      assert.match(wrong.body.error.message, /clock/);
    }
    const fifth = await agent.post('/api/login/totp', { code: wrongCode(user.totpSecret) });
    assert.equal(fifth.status, 429);
    assert.equal(fifth.body.error.code, 'totp.too_many_attempts');
    const right = await agent.post('/api/login/totp', { code: totpAt(user.totpSecret, server.clock()) });
    assert.equal(right.status, 409, 'even the right code is too late');
    assert.equal(right.body.error.code, 'login.flow_expired');
    assert.deepEqual((await agent.get('/api/login')).body, { step: 'identify' });

    const newcomer = await atStep(await signedUpUser(), 'enroll');
    const { secret } = (await newcomer.post('/api/login/enroll/start')).body;
    for (let i = 1; i <= 4; i += 1) assert.equal((await newcomer.post('/api/login/enroll/verify', { code: wrongCode(secret) })).status, 401);
    assert.equal((await newcomer.post('/api/login/enroll/verify', { code: wrongCode(secret) })).status, 429);
    assert.equal((await newcomer.post('/api/login/enroll/verify', { code: totpAt(secret, server.clock()) })).status, 409);
    assert.deepEqual(sessionCookies(newcomer), []);
  });

  test('with the password known, wrong codes across new flows still lock the account', async () => {
    const user = await enrolledUser();
    const code = (offset = 0) => ({ code: totpAt(user.totpSecret, server.clock(), offset) });
    // Abandoned logins after a right password are no failures (at a person's pace: each
    // holds its attempt slot for a few seconds, src/login/attempt-holds.ts; faster
    // restarts are in attempt-holds.test.ts).
    for (let i = 0; i < 6; i += 1) {
      await atStep(user, 'totp');
      server.clock.advance(HOLD_WINDOW_MS);
    }
    server.clock.advance(HOLDS_LAPSE_MS); // the last ones' holds lapse too
    // An attacker restarts before any one flow's cap: 2 + 2 + 1 wrong codes.
    let last: Agent | undefined;
    for (const wrongs of [2, 2, 1]) {
      last = await atStep(user, 'totp');
      for (let i = 0; i < wrongs; i += 1) {
        const wrong: { status: number; body: unknown } = await last.post('/api/login/totp', { code: wrongCode(user.totpSecret) });
        // The guess that locks is told so: the code step is past the password, so the lock is no secret.
        assert.equal(wrong.status, i === wrongs - 1 && wrongs === 1 ? 429 : 401, JSON.stringify(wrong.body));
      }
    }
    const right = await last!.post('/api/login/totp', code());
    // The right code is refused while locked, and the answer says why (not "incorrect or expired",
    // which sends the owner to their phone's clock), with the lock's end.
    assert.equal(right.status, 429, 'the right code is refused while locked');
    assert.equal(right.body.error.code, 'account.locked');
    const wait = Number(right.headers.get('retry-after'));
    assert.ok(wait > 0 && wait <= 15 * 60, `Retry-After ${wait}`);
    assert.deepEqual(sessionCookies(last!), []);
    const fresh = server.agent();
    await fresh.post('/api/login/identify', user);
    const refused = await fresh.post('/api/login/password', { password: user.password });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'login.invalid_credentials');
    server.clock.advance(HOLDS_LAPSE_MS);
    assert.equal((await fresh.post('/api/login/password', { password: user.password })).status, 401, 'a lock, not holds: it outlasts them');

    server.clock.advance(15 * 60_000);
    const back = await atStep(user, 'totp');
    assert.equal((await back.post('/api/login/totp', code())).status, 200, 'the lock lifts');
    // A full login clears the count: four more wrong codes do not lock.
    server.clock.advance(60_000);
    const again = await atStep(user, 'totp');
    for (let i = 0; i < 4; i += 1) assert.equal((await again.post('/api/login/totp', { code: wrongCode(user.totpSecret) })).status, 401);
    assert.equal((await again.post('/api/login/totp', code())).status, 200);
  });

  test('no path to a session without the second factor', async () => {
    const enrolled = await enrolledUser();
    const newcomer = await signedUpUser();
    const code = { code: totpAt(enrolled.totpSecret, server.clock()) };
    const attempts: Array<[string, Agent, string, object]> = [];

    const noFlow = server.agent();
    const forged = server.agent();
    forged.cookies.set('gh_flow', 'A'.repeat(43));
    const beforePassword = server.agent();
    await beforePassword.post('/api/login/identify', enrolled);
    const enrolledAtCode = await atStep(enrolled, 'totp');
    const newcomerAtEnroll = await atStep(newcomer, 'enroll');
    for (const [name, agent] of [['no flow', noFlow], ['forged flow cookie', forged], ['before the password', beforePassword]] as const) {
      attempts.push([name, agent, '/api/login/totp', code], [name, agent, '/api/login/enroll/start', {}], [name, agent, '/api/login/enroll/verify', code]);
    }
    attempts.push(
      ['re-enrolling an enrolled user', enrolledAtCode, '/api/login/enroll/start', {}],
      ['re-enrolling an enrolled user', enrolledAtCode, '/api/login/enroll/verify', code],
      ['code step while enrolling', newcomerAtEnroll, '/api/login/totp', code],
    );
    for (const [name, agent, path, body] of attempts) {
      const answer = await agent.post(path, body);
      assert.equal(answer.status, 409, `${name} ${path}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.body.error.code, /^login\.(flow_expired|wrong_step)$/);
      assert.deepEqual(sessionCookies(agent), [], `${name} ${path}`);
      assert.equal((await agent.get('/api/me')).status, 401);
    }

    // A finished flow's cookie is dead, and a flow left at the code step expires.
    const finished = await atStep(enrolled, 'totp');
    const flowCookie = finished.cookies.get('gh_flow') as string;
    assert.equal((await finished.post('/api/login/totp', code)).status, 200);
    const replayed = server.agent();
    replayed.cookies.set('gh_flow', flowCookie);
    server.clock.advance(30_000);
    const replay = await replayed.post('/api/login/totp', { code: totpAt(enrolled.totpSecret, server.clock()) });
    assert.equal(replay.status, 409);
    assert.deepEqual(sessionCookies(replayed), []);

    const stale = await atStep(enrolled, 'totp');
    server.clock.advance(10 * 60_000 + 1000);
    const late = await stale.post('/api/login/totp', { code: totpAt(enrolled.totpSecret, server.clock()) });
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'login.flow_expired');
  });
});
