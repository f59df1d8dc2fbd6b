// A lock that runs out gave whoever holds the password the threshold's number of fresh
// guesses at the code, every lock period, without end: 5 every 15 minutes is 480 a day,
// and a six-digit code (three accepted in each window) falls in weeks. Each lock since the
// last completed login now lasts twice the one before (the company's lock time, then
// double, up to a day), as Keycloak's wait increment does; a completed login or a Master's
// unlock starts again from the company's lock time (src/login/lockout.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { invitedMember, logInAgain } from '../helpers/company-admin.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

const LOCK_S = 15 * 60;
const DAY_S = 24 * 60 * 60;

for (const engine of await enginesUnderTest()) describe(`each lock since the last login lasts twice the one before (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Growing Lock Co', emailDomain: 'growing-lock.test' });
  });
  after(() => server.close());

  type Member = Awaited<ReturnType<typeof tenants.member>>;

  const wrongCodeFor = (m: Member) => {
    const window = [-1, 0, 1].map((o) => totpAt(m.totpSecret, server.clock(), o));
    return ['000000', '123456', '999999'].find((c) => !window.includes(c))!;
  };

  /** Someone with the password guesses codes until the account locks; answers the lock's length as the owner is told it. */
  async function lockBy(m: Member): Promise<number> {
    const browser: Agent = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: m.username, companyName: m.companyName })).status, 200);
    const password = await browser.post('/api/login/password', { password: m.password });
    assert.equal(password.status, 200, JSON.stringify(password.body));
    let refused = await browser.post('/api/login/totp', { code: wrongCodeFor(m) });
    for (let i = 1; i < 5; i += 1) {
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
      refused = await browser.post('/api/login/totp', { code: wrongCodeFor(m) });
    }
    // The guess that locks is told so, with the lock's end (it proved the password).
    assert.deepEqual([refused.status, refused.body.error?.code], [429, 'account.locked'], JSON.stringify(refused.body));
    const seconds = Number(refused.headers.get('retry-after'));
    // The owner's right password meets the lock too (refused as any password is while it lasts).
    const owner = server.agent();
    await owner.post('/api/login/identify', { username: m.username, companyName: m.companyName });
    assert.notEqual((await owner.post('/api/login/password', { password: m.password })).status, 200);
    return seconds;
  }

  const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) <= 2, `locked for ${actual} s, expected ${expected} s`);

  test('15 minutes, 30, 60, ... up to a day; a completed login starts again at 15', async () => {
    const m = await tenants.member();
    let expected = LOCK_S;
    for (let round = 0; round < 9; round += 1) {
      const seconds = await lockBy(m);
      near(seconds, expected);
      server.clock.advance(seconds * 1000 + 1000);
      expected = Math.min(expected * 2, DAY_S);
    }
    // The owner signs in: the next lock is the company's lock time again.
    const owner = server.agent();
    await owner.post('/api/login/identify', { username: m.username, companyName: m.companyName });
    assert.equal((await owner.post('/api/login/password', { password: m.password })).status, 200);
    server.clock.advance(30_000);
    const done = await owner.post('/api/login/totp', { code: totpAt(m.totpSecret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    near(await lockBy(m), LOCK_S);
  });

  test("a Master's unlock starts again at the company's lock time", async () => {
    const company = await tenants.signedIn();
    const tech = await invitedMember(server, company, company.root.agent, { username: 'tech', role: 'user', email: 'tech@growing-lock.test' });
    const m = { username: 'tech', companyName: company.companyName, password: STRONG_PASSWORD, totpSecret: tech.totpSecret } as Member;
    near(await lockBy(m), LOCK_S);
    server.clock.advance(LOCK_S * 1000 + 1000);
    near(await lockBy(m), 2 * LOCK_S);
    const master = (await logInAgain(server, company, company.root)).agent;
    const unlocked = await master.post(`/api/company/users/${tech.id}/unlock`, {});
    assert.equal(unlocked.status, 200, JSON.stringify(unlocked.body));
    near(await lockBy(m), LOCK_S);
  });
});
