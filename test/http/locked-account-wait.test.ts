// A signed-in person who locks their own account with wrong proofs (a step-up, new
// recovery codes, an API client) was told "Too many attempts. Wait a minute and try
// again.", with no Retry-After, while the lock lasts the company's lockout time (15
// minutes by default, up to a day): waiting a minute and trying again was refused again in
// the same words. The refusal is now account.locked with the lock's end as Retry-After
// (src/login/reauth.ts lockedRefusal). Found by an audit of second factors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

describe('a locked account at the step-up proof (sqlite)', () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Lock Co', emailDomain: 'lock.test' });
  });
  after(() => server.close());

  test('the refusal says how long to wait, and waiting as long as it says lets the right proof through', async () => {
    const user = await tenants.member();
    server.clock.advance(30_000);
    const window = [-1, 0, 1].map((o) => totpAt(user.totpSecret, server.clock(), o));
    const wrong = ['000000', '123456', '999999'].find((c) => !window.includes(c))!;
    for (let i = 0; i < 5; i += 1) {
      const refused = await user.agent.post('/api/me/reauth', { password: user.password, code: wrong });
      assert.equal(refused.body.error?.code, 'totp.code_refused', JSON.stringify(refused.body));
    }
    server.clock.advance(30_000);
    const locked = await user.agent.post('/api/me/reauth', { password: user.password, code: totpAt(user.totpSecret, server.clock()) });
    assert.deepEqual([locked.status, locked.body.error?.code], [429, 'account.locked'], JSON.stringify(locked.body));
    const told = String(locked.body.error.message);
    const retryAfter = Number(locked.headers.get('retry-after') ?? NaN);
    // Wait as long as the answer says: Retry-After if given, else "a minute" as its words say.
    const waitMs = Number.isFinite(retryAfter) ? retryAfter * 1000 : /a minute/i.test(told) ? 61_000 : 15 * 60_000 + 1000;
    server.clock.advance(waitMs);
    const again = await user.agent.post('/api/me/reauth', { password: user.password, code: totpAt(user.totpSecret, server.clock()) });
    assert.equal(
      again.status,
      200,
      `told "${told}" (Retry-After ${Number.isFinite(retryAfter) ? retryAfter : 'none'}), waited ${waitMs / 1000}s, and the right proof is refused again: ${again.status} ${JSON.stringify(again.body)}`,
    );
  });
});
