// Forgot password and forgot company name over HTTP: the same answer whatever exists,
// reset links that are single use (also when raced), expire and are replaced by newer
// ones, and a reset that signs nobody in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Answer } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';

const NEW_PASSWORD = 'Quartz-Lantern-87?';
const RESET_SUBJECT = 'Reset your Gatehouse password';
const resetTokenIn = (text: string) => /\/reset-password\/([A-Za-z0-9_-]{43})/.exec(text)?.[1];

for (const engine of await enginesUnderTest()) describe(`Forgot password / company name (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Forgot Co', emailDomain: 'forgot.test' });
  });
  after(() => server.close());

  type Member = Awaited<ReturnType<typeof tenants.member>>;

  const mailCount = async (to: string, subject?: string) => {
    let query = server.gatehouse.deps.db.selectFrom('outbox').select('id').where('recipient', '=', to);
    if (subject) query = query.where('subject', '=', subject);
    return (await query.execute()).length;
  };
  const forgot = (m: { username: string; companyName: string }) =>
    server.agent().post('/api/login/forgot-password', { username: m.username, companyName: m.companyName });

  /** Asks for a reset and returns the token from the newest mail to the member. */
  async function resetToken(m: Member): Promise<string> {
    const before = server.mail.messages.filter((x) => x.subject === RESET_SUBJECT && x.to.includes(m.email)).length;
    assert.equal((await forgot(m)).status, 200);
    await server.mail.waitFor((x) => x.subject === RESET_SUBJECT && x.to.includes(m.email) && server.mail.messages.filter((y) => y.subject === RESET_SUBJECT && y.to.includes(m.email)).length > before);
    const mails = server.mail.messages.filter((x) => x.subject === RESET_SUBJECT && x.to.includes(m.email));
    const token = resetTokenIn(mails.at(-1)?.text ?? '');
    assert.ok(token, 'the mail carries a reset link');
    return token;
  }
  const submit = (token: string, password = NEW_PASSWORD, confirm = password) =>
    server.agent().post('/api/password-reset', { token, password, confirm });
  async function passwordStep(m: Member, password: string) {
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: m.username, companyName: m.companyName });
    return agent.post('/api/login/password', { password });
  }
  const sameAnswer = (a: Answer, b: Answer, label: string) => {
    assert.equal(a.status, b.status, label);
    assert.deepEqual(a.body, b.body, label);
    assert.deepEqual(a.setCookies, b.setCookies, label);
    assert.equal(a.headers.get('content-length'), b.headers.get('content-length'), label);
  };

  test('forgot password answers the same for a known user, an unknown user, an unknown company and an invited user', async () => {
    const m = await tenants.member();
    const invited = await tenants.approved();
    // Timing is equalized by design (mail goes through the outbox, every answer waits a
    // fixed floor); tests compare answers, not stopwatches.
    const known = await forgot(m);
    const others: Array<[string, { username: string; companyName: string }]> = [
      ['unknown user', { username: 'nobody', companyName: m.companyName }],
      ['unknown company', { username: m.username, companyName: 'No Such Company' }],
      ['neither', { username: 'nobody', companyName: 'No Such Company' }],
      ['invited, not signed up', { username: invited.username, companyName: invited.companyName }],
    ];
    assert.equal(known.status, 200);
    assert.match(known.body.message, /If the account exists/);
    assert.deepEqual(known.setCookies, [], 'no cookie');
    for (const [label, who] of others) {
      const answer = await forgot(who);
      sameAnswer(answer, known, label);
    }
    const mail = await server.mail.waitFor((x) => x.subject === RESET_SUBJECT && x.to.includes(m.email));
    assert.match(mail.text, new RegExp(m.companyName));
    assert.equal(await mailCount(invited.email), 1, 'only the welcome mail for the invited user');
    const invalid = await server.agent().post('/api/login/forgot-password', { username: '', companyName: 'x' });
    assert.equal(invalid.status, 400);
  });

  test('the reset page names the account; the link is single use, the reset signs nobody in and leaves the lock', async () => {
    const m = await tenants.member();
    for (let i = 0; i < 5; i += 1) await passwordStep(m, 'Wrong-Password-1!'); // now locked
    const token = await resetToken(m);
    const page = await server.agent().get(`/api/password-reset/${token}`);
    assert.equal(page.status, 200);
    assert.equal(page.body.companyName, m.companyName);
    assert.equal(page.body.username, m.username);
    assert.ok(Date.parse(page.body.expiresAt) <= server.clock() + 3_600_000);
    assert.equal(page.body.passwordPolicy.minLength, 8, 'the company rule, for the checklist');

    for (const [password, confirm, code] of [
      ['Password1!', 'Password1!', 'password.too_common'],
      ['short', 'short', 'password.too_weak'],
      [NEW_PASSWORD, `${NEW_PASSWORD}x`, 'password.mismatch'],
    ] as const) {
      const refused = await submit(token, password, confirm);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, code);
    }
    const done = await submit(token);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(done.body, { next: '/login' });
    assert.deepEqual(done.setCookies, [], 'no session is created');
    assert.equal((await submit(token)).status, 410, 'single use');
    assert.equal((await server.agent().get(`/api/password-reset/${token}`)).status, 410);

    assert.equal((await m.agent.get('/api/me')).status, 401, 'existing sessions end');
    assert.equal((await passwordStep(m, STRONG_PASSWORD)).status, 401, 'the old password fails');
    // The mailbox proves the password, not the second factor: the lock and its count stay
    // (a reset a minute would otherwise be five fresh guesses at the code a minute).
    assert.equal((await passwordStep(m, NEW_PASSWORD)).status, 401, 'still locked: the reset gave no fresh attempts');
    server.clock.advance(15 * 60_000 + 1_000);
    const next = await passwordStep(m, NEW_PASSWORD);
    assert.equal(next.status, 200, 'the lock ran out as always');
    assert.equal(next.body.step, 'totp', 'the authenticator code is still required');
    await server.mail.waitFor((x) => x.to.includes(m.email) && x.subject === 'Your Gatehouse password was changed');
    const actions = await server.gatehouse.deps.db.selectFrom('audit_events').select('action').where('company_id', '=', m.companyId).execute();
    assert.ok(actions.some((a) => a.action === 'password.reset_requested'));
    assert.ok(actions.some((a) => a.action === 'password.reset_completed'));
  });

  test('two browsers racing with one reset link: exactly one wins', async () => {
    const m = await tenants.member();
    const token = await resetToken(m);
    const answers = await Promise.all([submit(token, NEW_PASSWORD), submit(token, 'Other-Lantern-93#')]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 410]);
    const winner = answers[0]?.status === 200 ? NEW_PASSWORD : 'Other-Lantern-93#';
    assert.equal((await passwordStep(m, winner)).status, 200);
  });

  test('reset links expire after an hour and are revoked by a newer one; one mail a minute at most', async () => {
    const m = await tenants.member();
    const first = await resetToken(m);
    assert.equal((await forgot(m)).status, 200, 'a second request within a minute answers the same');
    assert.equal(await mailCount(m.email, RESET_SUBJECT), 1, 'but sends nothing new');
    // The minute after the mail's minute still holds it (at most one in any minute): the next goes after both.
    server.clock.advance(121_000);
    const second = await resetToken(m);
    assert.equal((await server.agent().get(`/api/password-reset/${first}`)).status, 410, 'revoked by the newer link');
    assert.equal((await submit(first)).status, 410);
    server.clock.advance(3_600_000);
    const expired = await submit(second);
    assert.equal(expired.status, 410);
    assert.equal(expired.body.error.code, 'link.invalid');
    assert.equal((await passwordStep(m, STRONG_PASSWORD)).status, 200, 'the password is unchanged');
  });

  test('twenty requests at once send one mail: the minute cap holds under concurrency', async () => {
    const m = await tenants.member();
    const answers = await Promise.all(Array.from({ length: 20 }, () => forgot(m)));
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(await mailCount(m.email, RESET_SUBJECT), 1, 'one reset mail');
    const shared = `burst-${m.username}@forgot.test`;
    await tenants.member(shared);
    // The address in every case spelling: one mailbox, one cap.
    const spelled = (i: number) => (i % 3 === 0 ? shared : i % 3 === 1 ? shared.toUpperCase() : ` ${shared[0]?.toUpperCase()}${shared.slice(1)} `);
    const lists = await Promise.all(Array.from({ length: 20 }, (_, i) => server.agent().post('/api/login/forgot-company', { email: spelled(i) })));
    assert.ok(lists.every((a) => a.status === 200));
    assert.equal(await mailCount(shared, 'Your Gatehouse companies'), 1, 'one company list mail');
  });

  test('links are bound to their purpose: a reset token is no Sign Up or email link, and back', async () => {
    const m = await tenants.member();
    const token = await resetToken(m);
    assert.equal((await server.agent().get(`/api/signup/${token}`)).status, 410);
    assert.equal((await server.agent().post('/api/signup', { token, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status, 410);
    assert.equal((await server.agent().post('/api/me/email/confirm', { token })).status, 410);
    const signupToken = (await tenants.approved()).token;
    assert.equal((await server.agent().get(`/api/password-reset/${signupToken}`)).status, 410);
    assert.equal((await submit(signupToken)).status, 410);
    assert.equal((await submit(token)).status, 200, 'the reset link still works for its purpose');
  });

  test('forgot company name: one mail listing the active accounts of the address; the same answer when unknown', async () => {
    const shared = 'shared@forgot.test';
    const a = await tenants.member(shared);
    const b = await tenants.member(shared);
    const known = await server.agent().post('/api/login/forgot-company', { email: ` ${shared.toUpperCase()} ` });
    const unknown = await server.agent().post('/api/login/forgot-company', { email: 'nobody@forgot.test' });
    assert.equal(known.status, 200);
    assert.match(known.body.message, /If this address belongs/);
    sameAnswer(unknown, known, 'unknown address');
    assert.deepEqual(known.setCookies, []);
    const mail = await server.mail.waitFor((x) => x.subject === 'Your Gatehouse companies' && x.to.includes(shared));
    assert.match(mail.text, new RegExp(a.companyName));
    assert.match(mail.text, new RegExp(b.companyName));
    const listMails = server.mail.messages.filter((x) => x.subject === 'Your Gatehouse companies' && x.to.includes(shared));
    assert.equal(listMails.length, 1, 'one mail for both companies');
    assert.equal(await mailCount('nobody@forgot.test'), 0, 'nothing to an unknown address');
    assert.equal((await server.agent().post('/api/login/forgot-company', { email: 'not-an-address' })).status, 400);
  });
});
