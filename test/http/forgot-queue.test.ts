// "Forgot password" and "forgot company name" in a burst naming one real account
// (PostgreSQL, READ COMMITTED). The answers have a floor, not a fixed time: were the
// requests for a real account to queue behind one another on a lock, a burst of them would
// answer later than a burst naming nobody, and the time would tell the account exists.
// Only one request a minute per account goes on to do the work; every other one ends
// before it takes any lock the working one holds.
//
// Held open without sleeping: another connection holds the mail outbox, where the working
// request queues its mail (the user's row locked and, before, the mail counter taken); a
// second request naming the same account must answer meanwhile, and the first then sends
// its one mail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FORGOT_COMPANY_ANSWER, FORGOT_PASSWORD_ANSWER } from '../../src/http/routes/recovery.ts';
import type { Answer } from '../helpers/agent.ts';
import { isPostgresReachable } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { holdLocks, inFlight } from '../helpers/pg-lock-holder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { until } from '../helpers/until.ts';

const reachable = await isPostgresReachable();

describe('forgot requests naming one account at once do not queue on it (PostgreSQL)', { skip: !reachable }, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine: 'postgres', env: { GATEHOUSE_TRUST_PROXY: '1' } });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Queue Co', emailDomain: 'queue.test' });
  });
  after(async () => server?.close());

  const outboxTo = async (to: string, subject: string) =>
    (await server.gatehouse.deps.db.selectFrom('outbox').select('id').where('recipient', '=', to).where('subject', '=', subject).execute()).length;

  /**
   * Sends `ask` twice from two networks: the first held inside its work (the outbox
   * locked), the second must answer while the first is still held; then the first goes on.
   */
  async function burst(ask: (network: string) => Promise<Answer>) {
    const holder = await holdLocks(server.database.url);
    try {
      await holder.query('LOCK TABLE outbox IN EXCLUSIVE MODE');
      const working = inFlight(ask('198.51.100.1'));
      await until(async () => (await holder.lockWaiters()) >= 1, 'the first request waiting to queue its mail');
      const second = inFlight(ask('198.51.100.2'));
      await until(async () => second.answered || (await holder.lockWaiters()) >= 2, 'the second request answering, or waiting on a lock');
      assert.equal(second.answered, true, 'the second request waited on a lock the first one held');
      assert.equal(working.answered, false, 'the first request is still held');
      await holder.release();
      return { working: await working.answer, second: await second.answer };
    } finally {
      await holder.close();
    }
  }

  test('forgot password: a second request for the account answers while the first does its work; one mail', async () => {
    const member = await tenants.member();
    const ask = (network: string) =>
      server.agent().post('/api/login/forgot-password', { username: member.username, companyName: member.companyName }, { 'x-forwarded-for': network });
    const { working, second } = await burst(ask);
    for (const answer of [working, second]) {
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, FORGOT_PASSWORD_ANSWER);
    }
    assert.equal(await outboxTo(member.email, 'Reset your Gatehouse password'), 1, 'one reset mail');
  });

  test('forgot company name: a second request for the address answers while the first queues its mail; one mail', async () => {
    const member = await tenants.member('queued@queue.test');
    const ask = (network: string) => server.agent().post('/api/login/forgot-company', { email: member.email }, { 'x-forwarded-for': network });
    const { working, second } = await burst(ask);
    for (const answer of [working, second]) {
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, FORGOT_COMPANY_ANSWER);
    }
    assert.equal(await outboxTo(member.email, 'Your Gatehouse companies'), 1, 'one list of companies');
  });
});
