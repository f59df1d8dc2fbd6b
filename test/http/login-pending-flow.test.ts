// Identify stores nothing: the login flow travels in its cookie, sealed, until the
// password is proved, and is stored then under a new name (src/login/pending-flow.ts).
// What a person, or someone holding or altering that cookie, can do with it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { statementsOf, watchStatements, WRITE } from '../helpers/statements.ts';
import { totpAt } from '../helpers/totp.ts';

const STORED_TOKEN = /^[A-Za-z0-9_-]{43}$/;

for (const engine of await enginesUnderTest()) describe(`a login flow before its password (${engine})`, () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  let unwatch: () => void;
  before(async () => {
    // Quiet workers: their polls would be counted with the statements below.
    server = await startTestServer({ engine, quietWorkers: true });
    operator = await signedInOperator(server);
    unwatch = watchStatements(engine);
  });
  after(async () => {
    unwatch();
    await server.close();
  });

  const names = () => ({ username: operator.username, companyName: operator.companyName });
  const storedFlows = async (username: string) => (await server.gatehouse.deps.db.selectFrom('login_flows').select('step').where('username', '=', username).execute()).map((f) => f.step);
  async function identified(who = names()) {
    const agent = server.agent();
    const answer = await agent.post('/api/login/identify', who);
    assert.equal(answer.status, 200);
    return { agent, cookie: agent.cookies.get('gh_flow') as string, loginId: answer.body.loginId as string };
  }
  const withCookie = (cookie: string) => {
    const agent = server.agent();
    agent.cookies.set('gh_flow', cookie);
    return agent;
  };

  test('identify stores nothing, and its cookie is as long whether the user and company exist or not', async () => {
    const known = await identified();
    const unknownUser = await identified({ ...names(), username: 'z'.repeat(operator.username.length) });
    const unknownCompany = await identified({ username: operator.username, companyName: 'Q'.repeat(operator.companyName.length) });
    assert.deepEqual(await storedFlows(operator.username), []);
    assert.doesNotMatch(known.cookie, STORED_TOKEN, 'not a stored flow name');
    assert.deepEqual([unknownUser.cookie.length, unknownCompany.cookie.length], [known.cookie.length, known.cookie.length]);
    assert.deepEqual((await known.agent.get('/api/login')).body, { step: 'password', loginId: known.loginId, ...names() }, 'a reload finds the password step, of the same login');
  });

  // The cookie is `p2.` and the secret box's value with dots for colons: v1.<key id>.<iv, tag, data>.
  const sealedPart = (cookie: string) => cookie.split('.')[3] as string;
  const withSealed = (cookie: string, raw: Buffer) => cookie.slice(0, cookie.lastIndexOf('.') + 1) + raw.toString('base64url');
  const alteredAt = (cookie: string, at: number) => {
    const raw = Buffer.from(sealedPart(cookie), 'base64url');
    raw[at] = (raw[at] as number) ^ 0x01;
    return withSealed(cookie, raw);
  };

  test('the cookie shows neither name in clear', async () => {
    const { cookie } = await identified();
    for (const name of [operator.username, operator.companyName]) {
      assert.ok(!cookie.includes(name), name);
      for (const part of cookie.split('.')) assert.ok(!Buffer.from(part, 'base64url').includes(name), `${name} in ${part}`);
    }
  });

  test('an altered or expired flow cookie is refused like an expired flow', async () => {
    const { cookie } = await identified();
    const raw = Buffer.from(sealedPart(cookie), 'base64url');
    // The sealed part is the 12-byte IV, the 16-byte GCM tag, then the data.
    for (const [what, altered] of [
      ['a byte of its data', alteredAt(cookie, 28 + Math.floor((raw.length - 28) / 2))],
      ['a byte of its last data', alteredAt(cookie, raw.length - 1)],
      ['a byte of its tag', alteredAt(cookie, 12 + 5)],
      ['a byte of its IV', alteredAt(cookie, 3)],
      ['its end, cut', withSealed(cookie, raw.subarray(0, raw.length - 1))],
      ['its key id', cookie.replace(/^p2\.v1\.[0-9a-f]{8}\./, 'p2.v1.00000000.')],
    ] as const) {
      assert.notEqual(altered, cookie, what);
      const answer = await withCookie(altered).post('/api/login/password', { password: STRONG_PASSWORD });
      assert.equal(answer.body.error?.code, 'login.flow_expired', what);
    }

    const late = await identified();
    server.clock.advance(10 * 60_000 + 1000);
    assert.equal((await late.agent.post('/api/login/password', { password: STRONG_PASSWORD })).body.error?.code, 'login.flow_expired');
    assert.deepEqual((await late.agent.get('/api/login')).body, { step: 'identify' });
  });

  test('a value sealed for another purpose, or with its prefix altered, is refused like an expired flow', async () => {
    const { secrets } = server.gatehouse.deps;
    const { cookie } = await identified();
    const payload = secrets.decrypt(cookie.slice('p2.'.length).replaceAll('.', ':'), 'login-flow');
    const sealedFor = (context: string) => `p2.${secrets.encrypt(payload, context).replaceAll(':', '.')}`;
    // Sealed again under its own context, the same flow opens: the refusals below are the context's doing.
    assert.equal((await withCookie(sealedFor('login-flow')).get('/api/login')).body.step, 'password');
    for (const [what, altered] of [
      ['sealed as a TOTP secret', sealedFor(`totp:${operator.username}`)],
      ['sealed as an enrollment secret', sealedFor('enroll:login-flow')],
      ['its prefix altered', `p3.${cookie.slice(3)}`],
      ['its prefix cut', cookie.slice(3)],
    ] as const) {
      const answer = await withCookie(altered).post('/api/login/password', { password: STRONG_PASSWORD });
      assert.equal(answer.body.error?.code, 'login.flow_expired', what);
      assert.deepEqual((await withCookie(altered).get('/api/login')).body, { step: 'identify' }, what);
    }
  });

  test('starting again over a pending flow writes nothing: there is no row to delete', async () => {
    const { agent } = await identified();
    const statements = await statementsOf(async () => {
      const restarted = await agent.post('/api/login/restart', {});
      assert.deepEqual(restarted.body, { step: 'identify' });
    });
    assert.deepEqual(statements.filter((sql) => WRITE.test(sql)), []);
    assert.equal(agent.cookies.get('gh_flow'), undefined, 'the cookie is cleared');

    // Against a stored flow the same request deletes its row: the count above is not blind.
    const stored = await identified();
    assert.equal((await stored.agent.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');
    const deleting = await statementsOf(() => stored.agent.post('/api/login/restart', {}));
    assert.equal(deleting.filter((sql) => WRITE.test(sql)).length, 1);
    assert.deepEqual(await storedFlows(operator.username), []);
  });

  test('the password step stores the flow under a new cookie; the identify cookie replayed starts no second flow', async () => {
    const { agent, cookie } = await identified();
    const proved = await agent.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.equal(proved.body.step, 'totp');
    const stored = agent.cookies.get('gh_flow') as string;
    assert.match(stored, STORED_TOKEN);
    assert.deepEqual(await storedFlows(operator.username), ['totp']);

    const replayed = await withCookie(cookie).post('/api/login/password', { password: STRONG_PASSWORD });
    assert.equal(replayed.body.error?.code, 'login.invalid_credentials', 'the flow it names is stored already: a failure, as a name that does not exist gets');
    assert.deepEqual(await storedFlows(operator.username), ['totp']);
    assert.equal((await withCookie(cookie).post('/api/login/totp', { code: totpAt(operator.totpSecret, server.clock()) })).status, 409, 'it never reaches the code step');

    server.clock.advance(30_000);
    const done = await agent.post('/api/login/totp', { code: totpAt(operator.totpSecret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(await storedFlows(operator.username), []);
    // Once the login is done the replayed cookie is what a fresh identify gives anyone: a
    // password step, which asks for the password again (and counts toward the lockout).
    const again = await withCookie(cookie).post('/api/login/password', { password: 'Not-The-Password-1!' });
    assert.equal(again.body.error?.code, 'login.invalid_credentials');
  });
});
