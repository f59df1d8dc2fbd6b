// My Settings over HTTP: profile, email change confirmed by email, password change that
// ends the other sessions, resetting one's own 2FA, and one's own sessions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

const NEW_PASSWORD = 'Quartz-Lantern-87?';

for (const engine of await enginesUnderTest()) describe(`My Settings (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Settings Co', emailDomain: 'settings.test' });
  });
  after(() => server.close());

  type Member = Awaited<ReturnType<typeof tenants.member>>;

  /** The same user in one more browser (a later TOTP step, as each code works once). */
  async function anotherBrowser(m: Member, password = m.password) {
    server.clock.advance(30_000);
    const agent = server.agent();
    await logIn(server, agent, { ...m, password });
    return agent;
  }
  const actions = async (companyId: string) =>
    (await server.gatehouse.deps.db.selectFrom('audit_events').select('action').where('company_id', '=', companyId).execute()).map((r) => r.action);
  async function passwordStep(m: Member, password: string) {
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: m.username, companyName: m.companyName });
    return agent.post('/api/login/password', { password });
  }

  test('profile: read, rename, validation, and only when signed in', async () => {
    const m = await tenants.member();
    const profile = await m.agent.get('/api/me/profile');
    assert.equal(profile.status, 200);
    assert.equal(profile.body.username, m.username);
    assert.equal(profile.body.email, m.email);
    assert.equal(profile.body.companyName, m.companyName);
    assert.equal(profile.body.pendingEmail, null);
    assert.ok(profile.body.twoFactorEnrolledAt);
    assert.deepEqual(profile.body.passwordPolicy, { minLength: 8, classes: ['lower', 'upper', 'digit', 'symbol'] }, 'the company rule, for the checklist');

    const renamed = await m.agent.post('/api/me/profile', { displayName: '  Dana   <b>Root</b> ' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.displayName, 'Dana <b>Root</b>');
    assert.equal((await m.agent.get('/api/me')).body.user.displayName, 'Dana <b>Root</b>');
    for (const displayName of ['', 'a\u0000b', 'x'.repeat(101), 42]) {
      const refused = await m.agent.post('/api/me/profile', { displayName });
      assert.equal(refused.status, 400, JSON.stringify(displayName));
      assert.ok(refused.body.error.fields.displayName);
    }
    assert.equal((await server.agent().get('/api/me/profile')).status, 401);
    assert.equal((await server.agent().post('/api/me/profile', { displayName: 'X' })).status, 401);
    const foreign = await m.agent.post('/api/me/profile', { displayName: 'Evil' }, { origin: 'https://evil.test' });
    assert.equal(foreign.status, 403);
    assert.ok((await actions(m.companyId)).includes('profile.updated'));
  });

  test('email change: the password first, nothing changes until the link from the new address is used, once', async () => {
    const m = await tenants.member();
    const wrong = await m.agent.post('/api/me/email', { email: 'new@settings.test', password: 'Wrong-Password-1!' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.code, 'password.current_invalid');
    assert.ok(wrong.body.error.fields.password);
    const same = await m.agent.post('/api/me/email', { email: m.email.toUpperCase(), password: m.password });
    assert.equal(same.body.error.code, 'email.unchanged');
    const invalid = await m.agent.post('/api/me/email', { email: 'not an address', password: m.password });
    assert.equal(invalid.status, 400);

    const newEmail = 'renamed@elsewhere.test';
    const asked = await m.agent.post('/api/me/email', { email: newEmail, password: m.password });
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    assert.equal(asked.body.pendingEmail, newEmail);
    const confirmMail = await server.mail.waitFor((mail) => mail.to.includes(newEmail));
    assert.equal(confirmMail.subject, 'Confirm your new Gatehouse email address');
    const notice = await server.mail.waitFor((mail) => mail.to.includes(m.email) && mail.subject.includes('being changed'));
    assert.match(notice.text, new RegExp(newEmail.replace('.', '\\.')));
    const token = /\/confirm-email\/([A-Za-z0-9_-]{43})/.exec(confirmMail.text)?.[1];
    assert.ok(token, 'the mail carries the confirmation link');

    const before = await m.agent.get('/api/me/profile');
    assert.equal(before.body.email, m.email, 'nothing changes before confirmation');
    assert.equal(before.body.pendingEmail, newEmail);

    const forged = await server.agent().post('/api/me/email/confirm', { token: 'A'.repeat(43) });
    assert.equal(forged.status, 410);
    const confirmed = await server.agent().post('/api/me/email/confirm', { token });
    assert.equal(confirmed.status, 200);
    assert.equal(confirmed.body.email, newEmail);
    const afterwards = await m.agent.get('/api/me/profile');
    assert.equal(afterwards.body.email, newEmail);
    assert.equal(afterwards.body.pendingEmail, null);
    const again = await server.agent().post('/api/me/email/confirm', { token });
    assert.equal(again.status, 410);
    assert.equal(again.body.error.code, 'link.invalid');
    const trail = await actions(m.companyId);
    assert.ok(trail.includes('email.change_requested') && trail.includes('email.changed'));
  });

  test('a newer email change revokes the earlier link, and an expired link does nothing', async () => {
    const m = await tenants.member();
    const tokenFor = async (address: string) => {
      assert.equal((await m.agent.post('/api/me/email', { email: address, password: m.password })).status, 200);
      const mail = await server.mail.waitFor((x) => x.to.includes(address));
      return /\/confirm-email\/([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1] as string;
    };
    const first = await tokenFor('first@elsewhere.test');
    const second = await tokenFor('second@elsewhere.test');
    assert.equal((await server.agent().post('/api/me/email/confirm', { token: first })).status, 410);
    server.clock.advance(24 * 3_600_000 + 1000);
    assert.equal((await server.agent().post('/api/me/email/confirm', { token: second })).status, 410);
    const profile = await (await anotherBrowser(m)).get('/api/me/profile');
    assert.equal(profile.body.email, m.email);
  });

  test('email change confirmations: five an hour per user, also when the last ones are asked for at once; then nothing is sent', async () => {
    const m = await tenants.member();
    const ask = (agent: typeof m.agent, i: number) => agent.post('/api/me/email', { email: `cap-${i}-${m.username}@elsewhere.test`, password: m.password });
    const sentTo = async () =>
      (await server.gatehouse.deps.db.selectFrom('outbox').select('recipient').where('recipient', 'like', `cap-%-${m.username}@elsewhere.test`).execute()).length;
    for (const i of [0, 1, 2]) assert.equal((await ask(m.agent, i)).status, 200);
    // Five at once (as many password proofs as may run together): two fit under the cap.
    const answers = await Promise.all([3, 4, 5, 6, 7].map((i) => ask(m.agent, i)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 429, 429, 429]);
    for (const refused of answers.filter((a) => a.status === 429)) assert.equal(refused.body.error.code, 'email.rate_limited');
    assert.equal(await sentTo(), 5, 'five confirmations, none for the refused requests');
    const sixth = await ask(m.agent, 8);
    assert.equal(sixth.body.error?.code, 'email.rate_limited');
    assert.equal(await sentTo(), 5);
    server.clock.advance(3_600_000 + 1000);
    assert.equal((await ask(await anotherBrowser(m), 9)).status, 429, 'the next hour: the five of the hour before still count');
    server.clock.advance(3_600_000);
    assert.equal((await ask(await anotherBrowser(m), 10)).status, 200, 'the hour after that has room again');
    assert.equal(await sentTo(), 6);
  });

  test('password change: the current password is required, and the new one must pass the rule', async () => {
    const m = await tenants.member();
    const change = (body: Record<string, unknown>) => m.agent.post('/api/me/password', body);
    const wrong = await change({ currentPassword: 'Wrong-Password-1!', newPassword: NEW_PASSWORD, confirm: NEW_PASSWORD });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.code, 'password.current_invalid');
    assert.ok(wrong.body.error.fields.currentPassword);
    assert.ok((await actions(m.companyId)).includes('password.check_failed'));

    const cases: Array<[Record<string, string>, string, string]> = [
      [{ newPassword: NEW_PASSWORD, confirm: `${NEW_PASSWORD}x` }, 'password.mismatch', 'confirm'],
      [{ newPassword: 'Password1!', confirm: 'Password1!' }, 'password.too_common', 'newPassword'],
      [{ newPassword: 'short', confirm: 'short' }, 'password.too_weak', 'newPassword'],
      [{ newPassword: m.password, confirm: m.password }, 'password.unchanged', 'newPassword'],
    ];
    for (const [body, code, field] of cases) {
      const refused = await change({ currentPassword: m.password, ...body });
      assert.equal(refused.status, 400, code);
      assert.equal(refused.body.error.code, code);
      assert.ok(refused.body.error.fields[field], `${code} names ${field}`);
    }
    const tooLong = await change({ currentPassword: m.password, newPassword: 'x'.repeat(1025), confirm: 'x' });
    assert.equal(tooLong.status, 400);
    assert.equal((await passwordStep(m, m.password)).status, 200, 'nothing changed');
  });

  test('password change ends every other session, keeps this one under a fresh id; the old password fails', async () => {
    const m = await tenants.member();
    const other = await anotherBrowser(m);
    const oldCookie = m.agent.cookies.get('gh_session') as string;
    const changed = await m.agent.post('/api/me/password', { currentPassword: m.password, newPassword: NEW_PASSWORD, confirm: NEW_PASSWORD });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const fresh = m.agent.cookies.get('gh_session') as string;
    assert.notEqual(fresh, oldCookie, 'a fresh session id');

    assert.equal((await m.agent.get('/api/me')).status, 200, 'this browser stays signed in');
    assert.equal((await other.get('/api/me')).status, 401, 'the other browser is signed out');
    const replay = server.agent();
    replay.cookies.set('gh_session', oldCookie);
    assert.equal((await replay.get('/api/me')).status, 401, 'the old id is dead');

    const old = await passwordStep(m, m.password);
    assert.equal(old.status, 401);
    assert.equal(old.body.error.code, 'login.invalid_credentials');
    const renewed = await passwordStep(m, NEW_PASSWORD);
    assert.equal(renewed.status, 200);
    assert.equal(renewed.body.step, 'totp');
    await server.mail.waitFor((mail) => mail.to.includes(m.email) && mail.subject === 'Your Gatehouse password was changed');
    assert.ok((await actions(m.companyId)).includes('password.changed'));
  });

  test('resetting one\'s own 2FA needs the password and a valid, unused code; then enrollment at the next login', async () => {
    const m = await tenants.member();
    const other = await anotherBrowser(m); // uses the current step's code
    const reset = (body: Record<string, unknown>) => m.agent.post('/api/me/two-factor/reset', body);

    const usedCode = totpAt(m.totpSecret, server.clock());
    const replayed = await reset({ password: m.password, code: usedCode });
    assert.equal(replayed.status, 409);
    assert.equal(replayed.body.error.code, 'totp.already_used');
    server.clock.advance(30_000);
    const code = totpAt(m.totpSecret, server.clock());
    const wrongPassword = await reset({ password: 'Wrong-Password-1!', code });
    assert.equal(wrongPassword.body.error.code, 'password.current_invalid');
    const wrongCode = await reset({ password: m.password, code: code === '000000' ? '111111' : '000000' });
    assert.equal(wrongCode.body.error.code, 'totp.code_refused');
    assert.ok(wrongCode.body.error.fields.code);
    const tooOld = await reset({ password: m.password, code: totpAt(m.totpSecret, server.clock(), -2) });
    assert.equal(tooOld.body.error.code, 'totp.code_refused');
    assert.equal((await m.agent.get('/api/me')).status, 200, 'refusals change nothing');

    const db = server.gatehouse.deps.db;
    const user = await db.selectFrom('users').select('id').where('company_id', '=', m.companyId).executeTakeFirstOrThrow();
    await db.insertInto('recovery_codes').values({ id: crypto.randomUUID(), company_id: m.companyId, user_id: user.id, code_hash: 'x', used_at: null, created_at: server.clock() }).execute();

    const done = await reset({ password: m.password, code });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(m.agent.cookies.get('gh_session'), undefined, 'logged out here');
    assert.equal((await m.agent.get('/api/me')).status, 401);
    assert.equal((await other.get('/api/me')).status, 401, 'and everywhere else');
    const codes = await db.selectFrom('recovery_codes').select('id').where('company_id', '=', m.companyId).execute();
    assert.equal(codes.length, 0, 'recovery codes are gone with the secret');

    const next = await passwordStep(m, m.password);
    assert.equal(next.status, 200);
    assert.equal(next.body.step, 'enroll', 'Your Security Matters: enrollment again');
    await server.mail.waitFor((mail) => mail.to.includes(m.email) && mail.subject.includes('two-factor authentication was reset'));
    assert.ok((await actions(m.companyId)).includes('totp.reset_by_self'));
  });

  test('two 2FA resets racing with the same code: exactly one wins', async () => {
    const m = await tenants.member();
    const second = await anotherBrowser(m);
    server.clock.advance(30_000);
    const code = totpAt(m.totpSecret, server.clock());
    const answers = await Promise.all([m.agent, second].map((a) => a.post('/api/me/two-factor/reset', { password: m.password, code })));
    assert.deepEqual(answers.map((a) => a.status === 200).filter(Boolean).length, 1, JSON.stringify(answers.map((a) => a.status)));
  });

  test('sessions: list own with the current marked, revoke another, revoke this one, never someone else\'s', async () => {
    const m = await tenants.member();
    const stranger = await tenants.member();
    const other = await anotherBrowser(m);
    const listed = await m.agent.get('/api/me/sessions');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.sessions.length, 2);
    for (const s of listed.body.sessions) {
      assert.match(s.id, /^[0-9a-f]{16}$/);
      assert.ok(Date.parse(s.createdAt) && Date.parse(s.lastSeenAt));
      assert.ok('ip' in s && 'userAgent' in s);
    }
    const mine = listed.body.sessions.find((s: any) => s.current);
    const theirs = listed.body.sessions.find((s: any) => !s.current);
    assert.ok(mine && theirs);
    assert.ok(!JSON.stringify(listed.body).includes(m.agent.cookies.get('gh_session') as string), 'no cookie value leaks');

    const strangerHandle = (await stranger.agent.get('/api/me/sessions')).body.sessions[0].id;
    for (const handle of [strangerHandle, '0123456789abcdef', 'not-a-handle', `${theirs.id}0`]) {
      const refused = await m.agent.post(`/api/me/sessions/${handle}/revoke`);
      assert.equal(refused.status, 404, handle);
      assert.equal(refused.body.error.code, 'request.not_found');
    }
    assert.equal((await stranger.agent.get('/api/me')).status, 200, 'the stranger is untouched');

    const revoked = await m.agent.post(`/api/me/sessions/${theirs.id}/revoke`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.signedOut, false);
    assert.equal((await other.get('/api/me')).status, 401);
    assert.equal((await m.agent.get('/api/me')).status, 200);
    assert.equal((await m.agent.get('/api/me/sessions')).body.sessions.length, 1);

    const self = await m.agent.post(`/api/me/sessions/${mine.id}/revoke`);
    assert.equal(self.body.signedOut, true);
    assert.equal((await m.agent.get('/api/me')).status, 401);
    assert.ok((await actions(m.companyId)).includes('session.revoked'));
  });

  test('sign out everywhere ends every session and module token of the user, this one too', async () => {
    const m = await tenants.member();
    const other = await anotherBrowser(m);
    const db = server.gatehouse.deps.db;
    const user = await db.selectFrom('users').select('id').where('company_id', '=', m.companyId).executeTakeFirstOrThrow();
    await db
      .insertInto('oidc_records')
      .values({ model: 'RefreshToken', id: 'rt-signed-out', payload: '{}', grant_id: null, user_code: null, uid: null, expires_at: null, consumed_at: null, account_id: `${m.companyId}.${user.id}` })
      .execute();
    const out = await m.agent.post('/api/me/sessions/revoke-all');
    assert.equal(out.status, 200);
    assert.equal(m.agent.cookies.get('gh_session'), undefined);
    assert.equal((await m.agent.get('/api/me')).status, 401);
    assert.equal((await other.get('/api/me')).status, 401);
    const tokens = await db.selectFrom('oidc_records').select('id').where('id', '=', 'rt-signed-out').execute();
    assert.equal(tokens.length, 0, 'module tokens are revoked');
    assert.ok((await actions(m.companyId)).includes('session.signed_out_everywhere'));
  });
  test('wrong current passwords count toward the lockout: a borrowed session cannot guess without limit', async () => {
    const m = await tenants.member();
    for (let i = 0; i < 5; i++) {
      const wrong = await m.agent.post('/api/me/password', { currentPassword: `Wrong-Guess-${i}!x`, newPassword: 'Another-Strong-77?', confirm: 'Another-Strong-77?' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error.code, 'password.current_invalid');
    }
    const locked = await m.agent.post('/api/me/password', { currentPassword: m.password, newPassword: 'Another-Strong-77?', confirm: 'Another-Strong-77?' });
    assert.equal(locked.status, 429, 'even the right password is refused while locked');
    const login = await passwordStep(m, m.password);
    assert.equal(login.status, 401, 'the account is locked for logins too');
  });
});
