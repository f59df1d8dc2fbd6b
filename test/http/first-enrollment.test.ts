// First-login enrollment ("Your Security Matters") is for an account without a second
// factor, checked when the factor is written. Someone who knows only the password reaches
// the enroll step while the account has none (just after sign-up, or after a 2FA reset)
// and waits; the owner then enrolls. The waiting login must not enroll a factor of its own
// (a key, or the app) over the owner's, sign in, or replace the owner's recovery codes; and
// of two enrollments at once in two logins, exactly one wins.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent, Answer } from '../helpers/agent.ts';
import { companyWithRootMaster, invitedMember } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { proveMailbox } from '../helpers/enrollment-code.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

type Who = { username: string; companyName: string; password: string };

for (const engine of await enginesUnderTest()) describe(`first-login enrollment, once per account (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Enroll Once Co', emailDomain: 'enroll-once.test' });
  });
  after(() => server.close());

  /** A browser past the password (and, after a Master's reset, the mailed code), at Your Security Matters. */
  async function atEnroll(who: Who): Promise<Agent> {
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName });
    const answer = await agent.post('/api/login/password', { password: who.password });
    if (answer.body.step === 'mail_code') {
      await proveMailbox(server, agent, `${who.username} at ${who.companyName}`);
      return agent;
    }
    assert.equal(answer.body.step, 'enroll', JSON.stringify(answer.body));
    return agent;
  }

  /** The app's QR code (its secret) at the enroll step. */
  async function appSecret(agent: Agent): Promise<string> {
    const started = await agent.post('/api/login/enroll/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    return started.body.secret as string;
  }

  /** A key's creation options at the enroll step. */
  async function keyOptions(agent: Agent) {
    const options = await agent.post('/api/login/key-enrollment/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    return options.body;
  }

  const verifyApp = (agent: Agent, secret: string) => agent.post('/api/login/enroll/verify', { code: totpAt(secret, server.clock()) });
  const registerKey = (agent: Agent, key: SoftAuthenticator, options: Parameters<SoftAuthenticator['register']>[0]) =>
    agent.post('/api/login/key-enrollment', { name: 'Enrolled key', response: key.register(options) });

  async function keyLogin(agent: Agent, key: SoftAuthenticator) {
    const options = await agent.post('/api/login/key/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    return agent.post('/api/login/key', { response: key.assert(options.body) });
  }

  /** What the account has now, as the database holds it. */
  async function factorsOf(companyName: string, username: string) {
    const db = server.gatehouse.storage.db;
    const user = await db
      .selectFrom('users')
      .innerJoin('companies', 'companies.id', 'users.company_id')
      .select(['users.id', 'users.company_id', 'users.totp_secret'])
      .where('companies.name', '=', companyName)
      .where('users.username', '=', username)
      .executeTakeFirstOrThrow();
    const keys = await db.selectFrom('webauthn_credentials').select('id').where('company_id', '=', user.company_id).where('user_id', '=', user.id).execute();
    const codes = await db.selectFrom('recovery_codes').select('id').where('company_id', '=', user.company_id).where('user_id', '=', user.id).where('used_at', 'is', null).execute();
    return { app: user.totp_secret !== null, keys: keys.length, recoveryCodes: codes.length };
  }

  /** A later login with one of the owner's recovery codes (the phone lost): still works. */
  async function recoveryLogin(who: Who, code: string) {
    server.clock.advance(30_000);
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName });
    const password = await agent.post('/api/login/password', { password: who.password });
    assert.equal(password.body.step, 'totp', JSON.stringify(password.body));
    return agent.post('/api/login/recovery', { code });
  }

  /** The waiting login is over: back to the first step, nothing of the enroll step left to it. */
  async function assertLoginOver(attacker: Agent, answer: Answer) {
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, 'login.flow_expired');
    assert.equal((await attacker.get('/api/me')).status, 401);
    assert.equal((await attacker.get('/api/login')).body.step, 'identify');
    assert.equal((await attacker.post('/api/login/enroll/start')).status, 409);
    assert.equal((await attacker.post('/api/login/key-enrollment/options')).status, 409);
  }

  test('the owner enrolls the app; an older login waiting at the enroll step cannot add its key, and the owner\'s recovery codes stay', async () => {
    const who = await tenants.signedUp();
    const attacker = await atEnroll(who);
    const attackerOptions = await keyOptions(attacker);
    const owner = await atEnroll(who);
    const enrolled = await verifyApp(owner, await appSecret(owner));
    assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
    assert.equal(enrolled.body.step, 'done');
    const ownerCodes = enrolled.body.recoveryCodes as string[];

    const added = await registerKey(attacker, new SoftAuthenticator(server.baseUrl), attackerOptions);
    await assertLoginOver(attacker, added);
    assert.deepEqual(await factorsOf(who.companyName, who.username), { app: true, keys: 0, recoveryCodes: 10 });
    const recovered = await recoveryLogin(who, ownerCodes[0] as string);
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
  });

  test("the owner enrolls a passkey; an older login that holds the app's QR code cannot enroll the app", async () => {
    const who = await tenants.signedUp();
    const attacker = await atEnroll(who);
    const attackerSecret = await appSecret(attacker);
    const owner = await atEnroll(who);
    const passkey = new SoftAuthenticator(server.baseUrl, { synced: true });
    const added = await registerKey(owner, passkey, await keyOptions(owner));
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const ownerCodes = added.body.recoveryCodes as string[];
    assert.equal((await keyLogin(owner, passkey)).status, 200);

    const verified = await verifyApp(attacker, attackerSecret);
    await assertLoginOver(attacker, verified);
    assert.equal(verified.body.recoveryCodes, undefined);
    assert.deepEqual(await factorsOf(who.companyName, who.username), { app: false, keys: 1, recoveryCodes: 10 });
    const recovered = await recoveryLogin(who, ownerCodes[0] as string);
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
  });

  test("after a Master's 2FA reset: a login waiting at the enroll step is over once the owner enrolls again", async () => {
    const co = await companyWithRootMaster(server, await tenants.operatorAgent(), 'Lost Phone Enroll Co', 'root@lost-phone-enroll.test');
    const member = await invitedMember(server, co, co.root.agent, { username: 'vic', role: 'user' });
    assert.equal((await co.root.agent.post(`/api/company/users/${member.id}/reset-2fa`)).status, 200);
    const who = { username: 'vic', companyName: co.companyName, password: STRONG_PASSWORD };
    const attacker = await atEnroll(who);
    const attackerOptions = await keyOptions(attacker);
    server.clock.advance(30_000);
    const owner = await atEnroll(who);
    const enrolled = await verifyApp(owner, await appSecret(owner));
    assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));

    server.clock.advance(5 * 60_000);
    await assertLoginOver(attacker, await registerKey(attacker, new SoftAuthenticator(server.baseUrl), attackerOptions));
    assert.deepEqual(await factorsOf(who.companyName, who.username), { app: true, keys: 0, recoveryCodes: 10 });
    const recovered = await recoveryLogin(who, (enrolled.body.recoveryCodes as string[])[0] as string);
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
  });

  // Two logins of one account at the enroll step, both finishing at once: the user's row is
  // locked by the first, and the second reads the factor it wrote.
  type Way = 'app' | 'key';
  async function prepared(agent: Agent, way: Way) {
    if (way === 'app') {
      const secret = await appSecret(agent);
      return { finish: () => verifyApp(agent, secret) };
    }
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await keyOptions(agent);
    return { key, finish: () => registerKey(agent, key, options) };
  }

  for (const [first, second] of [['app', 'app'], ['app', 'key'], ['key', 'key']] as [Way, Way][]) {
    test(`two enrollments at once in two logins (${first} and ${second}): exactly one wins, with its own recovery codes`, async () => {
      const who = await tenants.signedUp();
      const logins = [await atEnroll(who), await atEnroll(who)];
      const ways = [await prepared(logins[0] as Agent, first), await prepared(logins[1] as Agent, second)];
      const answers = await Promise.all(ways.map((way) => way.finish()));
      const winners = answers.map((answer, i) => ({ answer, i })).filter(({ answer }) => answer.status === 200);
      assert.equal(winners.length, 1, JSON.stringify(answers.map((a) => a.body?.error?.code ?? a.status)));
      const { i: won } = winners[0] as { i: number };
      const lost = answers[1 - won] as Answer;
      assert.equal(lost.status, 409, JSON.stringify(lost.body));
      assert.equal(lost.body.error.code, 'login.flow_expired');
      assert.equal((await (logins[1 - won] as Agent).get('/api/me')).status, 401);

      const wonWay = [first, second][won];
      const factors = await factorsOf(who.companyName, who.username);
      assert.deepEqual(factors, { app: wonWay === 'app', keys: wonWay === 'key' ? 1 : 0, recoveryCodes: 10 });
      const winnerKey = ways[won]?.key;
      if (winnerKey) assert.equal((await keyLogin(logins[won] as Agent, winnerKey)).status, 200);
      const recovered = await recoveryLogin(who, ((answers[won] as Answer).body.recoveryCodes as string[])[0] as string);
      assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
    });
  }
});
