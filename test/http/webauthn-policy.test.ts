// Passkeys and security keys in the company's hands: a policy that requires them (for
// Masters, or for everyone), a user led to add one at the next login after which the
// app's code no longer suffices, the same at first-login enrollment with the app,
// enrollment with a key instead of the app (Your Security Matters), the last way in kept,
// a Master's 2FA reset clearing keys, and the MFA compliance report showing each user's
// factors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, inviteMail, invitedMember, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { proveMailbox } from '../helpers/enrollment-code.ts';
import { signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { policyByClient, signedInWithKey } from '../helpers/key-policy.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`passkey policy and enrollment (${engine})`, () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  let tenants: ReturnType<typeof tenantFactory>;
  let count = 0;
  before(async () => {
    server = await startTestServer({ engine });
    operator = await signedInOperator(server);
    tenants = tenantFactory(server, operator, { namePrefix: 'Key Policy Co', emailDomain: 'key-policy.test' });
  });
  after(() => server.close());

  async function company(): Promise<SignedInCompany> {
    count += 1;
    return companyWithRootMaster(server, await tenants.operatorAgent(), `Phish Proof ${count}`, `root${count}@phish-proof.test`);
  }

  /** The company with its Root Master signed in with a key (who may then hold the Masters to keys, and goes on). */
  async function withRootOnKey(co: SignedInCompany): Promise<SignedInCompany> {
    const byKey = await signedInWithKey(server, co.root.agent, { username: co.root.username, companyName: co.companyName });
    return { ...co, root: { ...co.root, agent: byKey.agent } };
  }

  async function toCodeStep(username: string, companyName: string) {
    const agent = server.agent();
    await agent.post('/api/login/identify', { username, companyName });
    const answer = await agent.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return { agent, answer };
  }

  async function keyLogin(agent: Agent, key: SoftAuthenticator) {
    const options = await agent.post('/api/login/key/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    return agent.post('/api/login/key', { response: key.assert(options.body) });
  }

  async function addKeyDuringLogin(agent: Agent, key: SoftAuthenticator) {
    const options = await agent.post('/api/login/key-enrollment/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await agent.post('/api/login/key-enrollment', { name: 'Policy key', response: key.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    return added.body;
  }

  /** Invited and signed up, never logged in: at the password step, Your Security Matters. */
  async function newcomerAtEnroll(co: SignedInCompany, username: string, role: 'master' | 'user') {
    const email = `${username}@newcomers.test`;
    const invited = await co.root.agent.post('/api/company/users', { email, username, role });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    await signUp(server, (await inviteMail(server, co.companyName, email)).link);
    const { agent, answer } = await toCodeStep(username, co.companyName);
    assert.equal(answer.body.step, 'enroll');
    return agent;
  }

  /** The app set up at Your Security Matters: its secret, and the answer to its first code. */
  async function enrollApp(agent: Agent) {
    const secret = (await agent.post('/api/login/enroll/start')).body.secret as string;
    const verified = await agent.post('/api/login/enroll/verify', { code: totpAt(secret, server.clock()) });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    return { secret, answer: verified.body };
  }

  test('everyone: a new user who enrolls the app at first login keeps it and its recovery codes, and adds a key before the login ends', async () => {
    const co = await withRootOnKey(await company());
    assert.equal((await co.root.agent.post('/api/company/policy', { phishingResistant: 'everyone' })).status, 200);
    const agent = await newcomerAtEnroll(co, 'nia', 'user');
    const { secret, answer } = await enrollApp(agent);
    assert.equal(answer.step, 'key_enroll');
    assert.equal(answer.recoveryCodes.length, 10);
    assert.equal((await agent.get('/api/me')).status, 401, 'no session without the key the policy requires');
    assert.equal((await agent.get('/api/login')).body.step, 'key_enroll');
    assert.equal((await agent.post('/api/login/enroll/verify', { code: totpAt(secret, server.clock()) })).status, 409);

    // Walking away here: the next login is the code step (the app is kept), and again key_enroll.
    server.clock.advance(30_000);
    const later = await toCodeStep('nia', co.companyName);
    assert.equal(later.answer.body.step, 'totp');
    assert.deepEqual(later.answer.body.secondFactors, ['app', 'recovery_code']);
    const proved = await later.agent.post('/api/login/totp', { code: totpAt(secret, server.clock()) });
    assert.deepEqual(proved.body, { step: 'key_enroll' });
    const key = new SoftAuthenticator(server.baseUrl);
    assert.deepEqual(await addKeyDuringLogin(later.agent, key), { step: 'totp', secondFactors: ['key', 'recovery_code'] });
    assert.equal((await keyLogin(later.agent, key)).status, 200);
    assert.deepEqual((await later.agent.get('/api/me')).body.session.amr, ['pwd', 'hwk', 'user']);

    // The recovery codes from the enrollment still work (the policy's break-glass path).
    server.clock.advance(30_000);
    const recovering = await toCodeStep('nia', co.companyName);
    const recovered = await recovering.agent.post('/api/login/recovery', { code: answer.recoveryCodes[0] });
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
  });

  test('Masters only, at first login: a new Master who enrolls the app is led to add a key; a new User is signed in', async () => {
    const co = await withRootOnKey(await company());
    assert.equal((await co.root.agent.post('/api/company/policy', { phishingResistant: 'masters' })).status, 200);
    const master = await newcomerAtEnroll(co, 'max', 'master');
    const asMaster = (await enrollApp(master)).answer;
    assert.equal(asMaster.step, 'key_enroll');
    assert.equal(asMaster.recoveryCodes.length, 10);
    assert.equal((await master.get('/api/me')).status, 401);
    const key = new SoftAuthenticator(server.baseUrl);
    const added = await addKeyDuringLogin(master, key);
    assert.equal(added.recoveryCodes, undefined, 'the enrollment made them already');
    assert.equal((await keyLogin(master, key)).status, 200);
    assert.deepEqual((await master.get('/api/me')).body.session.amr, ['pwd', 'hwk', 'user']);

    const user = await newcomerAtEnroll(co, 'ula', 'user');
    const asUser = (await enrollApp(user)).answer;
    assert.equal(asUser.step, 'done');
    assert.equal(asUser.recoveryCodes.length, 10);
    assert.deepEqual((await user.get('/api/me')).body.session.amr, ['pwd', 'otp']);
  });

  test('Masters only: a Master without a key adds one after the code, then only the key (or a recovery code) signs in; a User is not affected', async () => {
    const co = await company();
    const member = await invitedMember(server, co, co.root.agent, { username: 'uma', role: 'user' });
    // Saved by the company's API client: the Root Master, without a key, could not hold
    // themselves to keys from their session made with the code, which the change ends.
    const saved = await (await policyByClient(server, co.companyId))({ phishingResistant: 'masters' });
    assert.equal(saved.policy.phishingResistant, 'masters');
    assert.equal((await co.root.agent.get('/api/me')).status, 401, 'the session made with the code ended');

    // The Master proves the app's code, and is then led to add a key: no session yet.
    server.clock.advance(30_000);
    const first = await toCodeStep(co.root.username, co.companyName);
    assert.deepEqual(first.answer.body.secondFactors, ['app', 'recovery_code']);
    const proved = await first.agent.post('/api/login/totp', { code: totpAt(co.root.totpSecret, server.clock()) });
    assert.equal(proved.status, 200, JSON.stringify(proved.body));
    assert.deepEqual(proved.body, { step: 'key_enroll' });
    assert.equal((await first.agent.get('/api/me')).status, 401);
    assert.equal((await first.agent.get('/api/login')).body.step, 'key_enroll');

    const key = new SoftAuthenticator(server.baseUrl);
    const added = await addKeyDuringLogin(first.agent, key);
    assert.deepEqual(added, { step: 'totp', secondFactors: ['key', 'recovery_code'] });
    const done = await keyLogin(first.agent, key);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual((await first.agent.get('/api/me')).body.session.amr, ['pwd', 'hwk', 'user']);

    // The next login: the app's code is refused, the key works.
    server.clock.advance(30_000);
    const second = await toCodeStep(co.root.username, co.companyName);
    assert.deepEqual(second.answer.body.secondFactors, ['key', 'recovery_code']);
    const refused = await second.agent.post('/api/login/totp', { code: totpAt(co.root.totpSecret, server.clock()) });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'login.key_required');
    assert.equal((await keyLogin(second.agent, key)).status, 200);

    // A User of the same company still signs in with the app.
    server.clock.advance(30_000);
    const user = await toCodeStep(member.username, co.companyName);
    assert.deepEqual(user.answer.body.secondFactors, ['app', 'recovery_code']);
    const userDone = await user.agent.post('/api/login/totp', { code: totpAt(member.totpSecret, server.clock()) });
    assert.deepEqual(userDone.body, { step: 'done' });

    // Everyone: now the User is led to add a key too.
    await second.agent.post('/api/company/policy', { phishingResistant: 'everyone' });
    server.clock.advance(30_000);
    const led = await toCodeStep(member.username, co.companyName);
    const ledAnswer = await led.agent.post('/api/login/totp', { code: totpAt(member.totpSecret, server.clock()) });
    assert.deepEqual(ledAnswer.body, { step: 'key_enroll' });

    // The compliance report shows each user's factors.
    const report = await second.agent.get('/api/company/compliance');
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const byName = Object.fromEntries(report.body.users.map((u: { username: string; factors: unknown }) => [u.username, u.factors]));
    assert.deepEqual(byName[co.root.username], { app: true, keys: 1 });
    assert.deepEqual(byName[member.username], { app: true, keys: 0 });
  });

  test('Your Security Matters: a passkey instead of the app; ten recovery codes; the key then signs in; the last key stays', async () => {
    const who = await tenants.signedUp();
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName });
    assert.equal((await agent.post('/api/login/password', { password: who.password })).body.step, 'enroll');
    const key = new SoftAuthenticator(server.baseUrl, { synced: true, transports: ['internal'] });
    const added = await addKeyDuringLogin(agent, key);
    assert.equal(added.step, 'totp');
    assert.equal(added.recoveryCodes.length, 10);
    assert.equal((await agent.get('/api/me')).status, 401, 'a registration alone signs nothing: the key must answer a challenge');
    const done = await keyLogin(agent, key);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual((await agent.get('/api/me')).body.session.amr, ['pwd', 'swk', 'user']);

    // The next login goes to the code step (not enrollment again), offering the key; there is no app.
    const next = await toCodeStep(who.username, who.companyName);
    assert.deepEqual(next.answer.body.secondFactors, ['key', 'recovery_code']);
    const noApp = await next.agent.post('/api/login/totp', { code: '123456' });
    assert.equal(noApp.status, 401);
    const recovered = await next.agent.post('/api/login/recovery', { code: added.recoveryCodes[0] });
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));

    // Enrolled, for the Company page and the compliance report, without an app.
    const listed = (await agent.get('/api/company/users')).body.users.find((u: { username: string }) => u.username === who.username);
    assert.equal(listed.status, 'active');
    const report = (await agent.get('/api/company/compliance')).body.users.find((u: { username: string }) => u.username === who.username);
    assert.equal(report.enrolled, true);
    assert.deepEqual(report.factors, { app: false, keys: 1 });

    // Their only key cannot be removed; with a second one, the first can.
    const keys = (await agent.get('/api/me/security-keys')).body.keys;
    const last = await agent.post(`/api/me/security-keys/${keys[0].id}/remove`, { password: who.password });
    assert.equal(last.status, 409);
    assert.equal(last.body.error.code, 'webauthn.last_factor');
    const options = await agent.post('/api/me/security-keys/options', { password: who.password });
    const spare = new SoftAuthenticator(server.baseUrl);
    assert.equal((await agent.post('/api/me/security-keys', { response: spare.register(options.body) })).status, 200);
    assert.equal((await agent.post(`/api/me/security-keys/${keys[0].id}/remove`, { password: who.password })).status, 200);
  });

  test("a Master's 2FA reset clears the user's keys too, and the user enrolls again", async () => {
    const co = await company();
    const member = await invitedMember(server, co, co.root.agent, { username: 'kim', role: 'user' });
    const options = await member.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
    const key = new SoftAuthenticator(server.baseUrl);
    assert.equal((await member.agent.post('/api/me/security-keys', { response: key.register(options.body) })).status, 200);

    const reset = await co.root.agent.post(`/api/company/users/${member.id}/reset-2fa`);
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    const rows = await server.gatehouse.storage.db.selectFrom('webauthn_credentials').select('id').where('company_id', '=', co.companyId).where('user_id', '=', member.id).execute();
    assert.equal(rows.length, 0);
    const again = await toCodeStep(member.username, co.companyName);
    assert.equal(again.answer.body.step, 'mail_code', 'the code mailed to the user first');
    await proveMailbox(server, again.agent, `${member.username} at ${co.companyName}`);
  });
});
