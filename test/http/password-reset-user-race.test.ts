// "Forgot password" racing the deletion or the deactivation of the user it is for
// (PostgreSQL, READ COMMITTED). The request reads the user and issues the link in one
// transaction with the user's row locked (lockUser), so a deletion or deactivation either
// went first (nothing is sent) or waits for the link and then removes or revokes it. Read
// before the transaction, the user could go in between: the link's insert then failed on
// its foreign key (a 500 where everyone gets the same answer), or a live link was left
// for a user just deactivated.
//
// The moment is held open without sleeping: another connection holds the table of
// emailed links (action_links), where the request issues its link after locking the user,
// so the request stops there. The deletion or deactivation then runs; the test waits until
// it has either answered or is itself waiting on a lock, and only then lets the request go on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FORGOT_PASSWORD_ANSWER } from '../../src/http/routes/recovery.ts';
import type { Answer } from '../helpers/agent.ts';
import { companyWithRootMaster, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { isPostgresReachable } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';
import { holdLocks } from '../helpers/pg-lock-holder.ts';

const reachable = await isPostgresReachable();

describe('forgot password racing the removal of its user (PostgreSQL)', { skip: !reachable }, () => {
  let server: TestServer;
  let company: SignedInCompany;
  const logged: string[] = [];
  before(async () => {
    server = await startTestServer({ engine: 'postgres', logStream: { write: (line: string) => void logged.push(line) } });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Reset Race Co', 'root@reset-race.test');
  });
  after(async () => server?.close());

  /** Runs `removal` while the reset request for `username` is held inside its transaction, the user locked. */
  async function raced(username: string, removal: () => Promise<Answer>) {
    logged.length = 0;
    const holder = await holdLocks(server.database.url);
    const { lockWaiters } = holder;
    try {
      await holder.query('LOCK TABLE action_links IN EXCLUSIVE MODE');

      const reset = server.agent().post('/api/login/forgot-password', { username, companyName: company.companyName });
      await until(async () => (await lockWaiters()) >= 1, "the reset request waiting to issue its link, the user's row locked");

      let answered = false;
      const removed = removal().finally(() => {
        answered = true;
      });
      await until(async () => answered || (await lockWaiters()) >= 2, 'the removal answering, or waiting behind the reset request');

      await holder.release();
      return { reset: await reset, removed: await removed };
    } finally {
      await holder.close();
    }
  }

  function uniform(answer: Answer, label: string) {
    assert.equal(answer.status, 200, `${label}: ${answer.status} ${JSON.stringify(answer.body)}`);
    assert.deepEqual(answer.body, FORGOT_PASSWORD_ANSWER, label);
    assert.deepEqual(answer.setCookies, [], label);
    const errors = logged.filter((line) => /"level":(50|60)/.test(line));
    logged.length = 0;
    assert.deepEqual(errors, [], `${label}: errors logged`);
  }
  const liveResetLinks = (userId: string) =>
    server.gatehouse.deps.db
      .selectFrom('action_links')
      .select('id')
      .where('user_id', '=', userId)
      .where('purpose', '=', 'reset_password')
      .where('consumed_at', 'is', null)
      .where('revoked_at', 'is', null)
      .execute();

  test('the user is deleted meanwhile: the same answer as always, and no link left', async () => {
    const dora = await invitedMember(server, company, company.root.agent, { username: 'dora', role: 'user' });
    const { reset, removed } = await raced('dora', () => company.root.agent.post(`/api/company/users/${dora.id}/delete`));
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    uniform(reset, 'reset raced by a deletion');
    assert.deepEqual(await liveResetLinks(dora.id), []);
  });

  test('the user is deactivated meanwhile: the same answer as always, and no live link for them', async () => {
    const dani = await invitedMember(server, company, company.root.agent, { username: 'dani', role: 'user' });
    const { reset, removed } = await raced('dani', () => company.root.agent.post(`/api/company/users/${dani.id}/deactivate`));
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    uniform(reset, 'reset raced by a deactivation');
    assert.deepEqual(await liveResetLinks(dani.id), [], 'a reset link left working for a deactivated user');
  });
});
