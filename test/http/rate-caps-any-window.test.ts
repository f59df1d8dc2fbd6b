// The unlock cap holds at its window's boundary: one user is unlocked at most 3 times in
// any hour, by anyone (docs/SECURITY.md, "Lockout"; docs/API.md), since every unlock gives
// whoever knows the password a fresh set of guesses at the second factor. The cap is taken
// with takeRateSlot (src/storage/rate-caps.ts), whose counter keeps the hour before the
// current one too: a fixed window let 2 unlocks just before its end and 3 more at its end
// through, 5 within 2 ms. The price is a longer wait once the cap is used up (up to two
// hours); test/storage/rate-caps.test.ts holds takeRateSlot itself to both rules.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, invitedMember, logInAgain, type SignedInCompany } from '../helpers/company-admin.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const HOUR = 3_600_000;

describe('unlock cap at its window boundary', () => {
  let server: TestServer;
  let company: SignedInCompany;
  before(async () => {
    server = await startTestServer();
    const operator = await signedInOperator(server);
    company = await companyWithRootMaster(server, operator.agent, 'Boundary Co', 'root@boundary.test');
  });
  after(() => server.close());

  test('a user is unlocked at most 3 times in any hour, also across the window boundary', async () => {
    let root = company.root;
    const ulla = await invitedMember(server, company, root.agent, { username: 'ulla', role: 'user' });
    const lockUlla = () => dbOf(server).updateTable('users').set({ failed_logins: 5, locked_until: server.clock() + 15 * 60_000 }).where('id', '=', ulla.id).execute();
    const unlock = async () => {
      await lockUlla();
      return (await withFreshProof(server, root.agent, () => root.agent.post(`/api/company/users/${ulla.id}/unlock`))).status;
    };
    const stillLocked = async () => (await dbOf(server).selectFrom('users').select('locked_until').where('id', '=', ulla.id).executeTakeFirst())?.locked_until !== null;
    const t0 = server.clock();
    assert.equal(await unlock(), 200, 'unlock 1 at t0 opens the window');
    // Keep a live Master session for the end of the hour.
    server.clock.set(t0 + HOUR - 10 * 60_000);
    root = await logInAgain(server, company, root);
    server.clock.set(t0 + HOUR - 2);
    assert.equal(await unlock(), 200, 'unlock 2 (2 in the last hour)');
    server.clock.set(t0 + HOUR - 1);
    assert.equal(await unlock(), 200, 'unlock 3 (3 in the last hour)');
    server.clock.set(t0 + HOUR);
    // A fixed window reset here and let 3 more through: 5 unlocks within 2 ms.
    assert.equal(await unlock(), 429, 'unlock 4, 1 ms after unlock 3: the last window\'s 3 still count');
    assert.equal(await unlock(), 429, 'unlock 5 would be the 5th within 2 ms: refused with user.unlock_limited');
    assert.equal(await stillLocked(), true, 'the lock stays');
    server.clock.set(t0 + 2 * HOUR - 10 * 60_000);
    root = await logInAgain(server, company, root);
    server.clock.set(t0 + 2 * HOUR - 1);
    assert.equal(await unlock(), 429, 'unlocks 2 and 3 lie within the last hour: still refused');
    // Once the window after the full one is over, nothing before it counts any more.
    server.clock.set(t0 + 2 * HOUR);
    assert.equal(await unlock(), 200, 'two hours after the window opened, an unlock goes through again');
  });
});
