// The code step's answer when its guess locks the account (src/login/second-factor.ts
// refuseCode): the lock outranks the flow's cap. The default lockout threshold is five, as
// is the flow's cap, so the fifth wrong code of one sitting does both; answered "too many
// incorrect codes, start again", its owner would meet the password step's one answer for
// every failure ("incorrect") for the lock's 15 minutes, never told the account is locked.
// The same for a recovery code at the same step.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

for (const engine of await enginesUnderTest()) describe(`the fifth wrong code of one sitting locks, and says so (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Lockfive Co', emailDomain: 'lockfive.test' });
  });
  after(() => server.close());

  const wrongCode = (secret: string) => {
    const window = [-1, 0, 1].map((o) => totpAt(secret, server.clock(), o));
    return ['000000', '123456', '999999'].find((c) => !window.includes(c)) as string;
  };

  for (const [factor, path] of [['app', '/api/login/totp'], ['recovery', '/api/login/recovery']] as const)
  test(`five wrong ${factor} codes in one flow lock the account, and the fifth answer says so (429 account.locked, Retry-After)`, async () => {
    const user = await tenants.member();
    const agent = server.agent();
    await agent.post('/api/login/identify', user);
    assert.equal((await agent.post('/api/login/password', { password: user.password })).body.step, 'totp');
    const wrong = () => (factor === 'app' ? wrongCode(user.totpSecret) : 'aaaa-aaaa-aa');
    for (let i = 1; i <= 4; i += 1) assert.equal((await agent.post(path, { code: wrong() })).status, 401);
    const fifth = await agent.post(path, { code: wrong() });

    // The account is locked by this guess: the next login's right password is refused as 'incorrect'.
    const next = server.agent();
    await next.post('/api/login/identify', user);
    const password = await next.post('/api/login/password', { password: user.password });
    assert.equal(password.body.error?.code, 'login.invalid_credentials', 'the fifth wrong code locked the account');

    // The only place the owner can be told is the guess that locked it (the password step tells no one).
    assert.equal(fifth.status, 429);
    assert.equal(fifth.body.error.code, 'account.locked', `the guess that locks says so; got ${fifth.body.error.code}: ${fifth.body.error.message}`);
    const wait = Number(fifth.headers.get('retry-after'));
    assert.ok(wait > 60 && wait <= 15 * 60, `Retry-After is the lock's end, got ${wait}`);
    const after = await agent.post(path, { code: wrong() });
    assert.equal(after.body.error.code, 'login.flow_expired', 'the flow ended at its cap all the same');
  });
});
