// After someone else resets a user's 2FA (a Master in the console, an API client through
// /api/v1, two Masters under the two-person rule), whoever holds the password does not
// choose the next factor alone: the login stops at `mail_code` until the code mailed to
// the user's address is typed. The code is bound to its login, works once, is replaced by
// a new one, is refused five times at most per login, and is mailed at most three times a
// login and five times an hour a user. A reset the user made themselves (with a second
// factor) and a first login enroll as before. Over HTTP, on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { HOLDS_LAPSE_MS } from '../../src/login/attempt-holds.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { codeIn, ENROLLMENT_CODE_SUBJECT, mailedCode } from '../helpers/enrollment-code.ts';
import { logIn, STRONG_PASSWORD } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { totpAt } from '../helpers/totp.ts';

for (const engine of await enginesUnderTest()) describe(`a mailed code before enrolling again after a reset by someone else (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let made = 0;

  before(async () => {
    server = await startTestServer({ engine });
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Mail Proof', 'root@mail-proof.test');
  });
  after(() => server.close());

  const addressOf = (person: Person) => `${person.username}@members.test`;
  const member = () => invitedMember(server, acme, acme.root.agent, { username: `member${++made}`, role: 'user' });

  async function resetByRoot(person: Person) {
    const reset = await withFreshProof(server, acme.root.agent, () => acme.root.agent.post(`/api/company/users/${person.id}/reset-2fa`));
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
  }

  /** A new browser past the password: the step it is at. */
  async function pastPassword(person: Person): Promise<{ agent: Agent; step: string }> {
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: person.username, companyName: acme.companyName });
    const answer = await agent.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return { agent, step: answer.body.step };
  }

  const verify = (agent: Agent, code: string) => agent.post('/api/login/enroll/mail-code/verify', { code });
  const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  test("a Master's reset: the password leads to the mailed code, and only the code to the enrollment", async () => {
    const person = await member();
    await resetByRoot(person);
    const { agent, step } = await pastPassword(person);
    assert.equal(step, 'mail_code');
    assert.equal((await agent.get('/api/login')).body.step, 'mail_code', 'a reload stays at the code');
    for (const path of ['/api/login/enroll/start', '/api/login/key-enrollment/options']) {
      const skipped = await agent.post(path);
      assert.equal(skipped.status, 409, `${path}: ${JSON.stringify(skipped.body)}`);
    }
    const skippedVerify = await agent.post('/api/login/enroll/verify', { code: '123456' });
    assert.equal(skippedVerify.status, 409, 'no enrollment before the code');

    const { code, mail, answer } = await mailedCode(server, agent, addressOf(person));
    assert.equal(answer.body.sentTo, `m•••@members.test`, 'the address masked');
    assert.ok(mail.to.includes(addressOf(person)), 'mailed to the address on the account');
    assert.match(mail.text, new RegExp(`${person.username} at ${acme.companyName}`));

    const wrong = await verify(agent, otherCode(code));
    assert.deepEqual([wrong.status, wrong.body.error.code, wrong.body.error.fields?.code], [401, 'login.enrollment_code_invalid', 'Incorrect or expired code.']);
    const right = await verify(agent, code);
    assert.deepEqual([right.status, right.body.step], [200, 'enroll']);
    const replayed = await verify(agent, code);
    assert.equal(replayed.status, 409, 'the code is spent and the login past it');

    const started = await agent.post('/api/login/enroll/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const done = await agent.post('/api/login/enroll/verify', { code: totpAt(started.body.secret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const trail = await dbOf(server).selectFrom('audit_events').select('action').where('target', '=', person.id).where('action', 'like', 'login.enrollment_code_%').execute();
    assert.deepEqual(trail.map((e) => e.action).sort(), ['login.enrollment_code_proved', 'login.enrollment_code_sent']);

    // Enrolled again: the next login is the code step, with no mail.
    server.clock.advance(30_000);
    const before = server.mail.messages.length;
    assert.equal((await pastPassword(person)).step, 'totp');
    assert.equal(server.mail.messages.slice(before).filter((m) => m.subject === ENROLLMENT_CODE_SUBJECT).length, 0);
  });

  test('a code is bound to its login: one mailed to another login of the same user is refused', async () => {
    const person = await member();
    await resetByRoot(person);
    const first = await pastPassword(person);
    const second = await pastPassword(person);
    const { code } = await mailedCode(server, first.agent, addressOf(person));
    await mailedCode(server, second.agent, addressOf(person));
    const crossed = await verify(second.agent, code);
    assert.deepEqual([crossed.status, crossed.body.error?.code], [401, 'login.enrollment_code_invalid']);
    assert.equal((await verify(first.agent, code)).body.step, 'enroll');
  });

  test('a new code replaces the one before; a second ask within 30 s waits; three a login', async () => {
    const person = await member();
    await resetByRoot(person);
    const { agent } = await pastPassword(person);
    const { code: firstCode } = await mailedCode(server, agent, addressOf(person));
    const soon = await agent.post('/api/login/enroll/mail-code');
    assert.deepEqual([soon.status, soon.body.error?.code], [429, 'login.enrollment_code_wait']);
    assert.ok(Number(soon.headers.get('retry-after')) > 0, 'Retry-After says when');

    server.clock.advance(30_000);
    const { code: secondCode } = await mailedCode(server, agent, addressOf(person));
    if (secondCode !== firstCode) assert.equal((await verify(agent, firstCode)).status, 401, 'the first code is replaced');
    server.clock.advance(30_000);
    await mailedCode(server, agent, addressOf(person));
    server.clock.advance(30_000);
    const fourth = await agent.post('/api/login/enroll/mail-code');
    assert.deepEqual([fourth.status, fourth.body.error?.code], [429, 'login.enrollment_codes_spent']);
  });

  test('five wrong codes end the login', async () => {
    const person = await member();
    await resetByRoot(person);
    const { agent } = await pastPassword(person);
    const { code } = await mailedCode(server, agent, addressOf(person));
    let last = await verify(agent, otherCode(code));
    for (let i = 1; i < 5; i++) last = await verify(agent, otherCode(code));
    assert.deepEqual([last.status, last.body.error?.code], [429, 'totp.too_many_attempts']);
    const after = await verify(agent, code);
    assert.equal(after.status, 409, 'the login ended: the right code finds nothing');
  });

  test('a reset asked through /api/v1 leads to the mailed code too', async () => {
    const person = await member();
    const created = await acme.root.agent.post('/api/company/api-clients', { name: `Directory ${made}`, scopes: ['mfa:reset'], ...proofOf(server, acme.root) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const token = await tokenFor(server, created.body.client.clientId, created.body.clientSecret);
    const reset = await sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/users/${person.id}/reset-2fa`, token);
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal((await pastPassword(person)).step, 'mail_code');
    // The helper's login goes through it as a person would: the code from the mail, then the app.
    const again = await logIn(server, server.agent(), { username: person.username, companyName: acme.companyName, password: STRONG_PASSWORD });
    assert.notEqual(again.totpSecret, person.totpSecret);
  });

  test('a reset the user made themselves, with a second factor, enrolls at once', async () => {
    const person = await member();
    server.clock.advance(30_000);
    const own = await person.agent.post('/api/me/two-factor/reset', proofOf(server, person));
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal((await pastPassword(person)).step, 'enroll');
  });

  test('the mail says what the code is for and what to do if it was not them', async () => {
    const person = await member();
    await resetByRoot(person);
    const { mail, code } = await mailedCode(server, (await pastPassword(person)).agent, addressOf(person));
    assert.equal(codeIn(mail), code);
    assert.match(mail.text, /after it was reset/);
    assert.match(mail.text, /someone knows your password/);
    assert.ok(mail.html.includes(code), 'the code in the HTML part too');
  });

  // Last: it moves the clock on by hours, past the Root Master's session.
  test('five codes an hour a user, however many logins ask', async () => {
    const person = await member();
    await resetByRoot(person);
    // Each a login of its own, once the one before no longer holds a password attempt (attempt-holds.ts).
    const askAndLeave = async () => {
      server.clock.advance(HOLDS_LAPSE_MS);
      return (await pastPassword(person)).agent.post('/api/login/enroll/mail-code');
    };
    for (let i = 0; i < 5; i++) assert.equal((await askAndLeave()).status, 200);
    const sixth = await askAndLeave();
    assert.deepEqual([sixth.status, sixth.body.error?.code], [429, 'login.enrollment_codes_spent']);
    server.clock.advance(2 * 3_600_000);
    await mailedCode(server, (await pastPassword(person)).agent, addressOf(person));
  });
});
