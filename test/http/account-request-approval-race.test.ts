// A request for a company name that an approval is making a company of at that moment is
// refused (409 company.name_taken), as one made a moment later is. Once it was accepted:
// its lookup ran before the approval committed, and its insert, which waited for the
// approval on the pending-name index, then found the earlier request no longer pending.
// The operator was left a request that could never be approved. PostgreSQL only: SQLite
// runs one write at a time, so the two cannot interleave there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, signedInOperator } from '../helpers/journey.ts';
import { holdLocks } from '../helpers/pg-lock-holder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

if ((await enginesUnderTest()).includes('postgres')) describe('an account request racing the approval of its name (postgres)', () => {
  let server: TestServer;
  let operator: Agent;
  before(async () => {
    server = await startTestServer({ engine: 'postgres', quietWorkers: true });
    operator = (await signedInOperator(server)).agent;
  });
  after(() => server.close());

  test('a request made while the name is being approved is refused, and nothing of it is left pending', async () => {
    const first = await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: 'Race Harbor Co' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const holder = await holdLocks(server.database.url);
    try {
      // The approval's insert of the company waits; reads of companies go on.
      await holder.query('LOCK TABLE companies IN SHARE MODE');
      const approving = operator.post(`/api/operator/requests/${first.body.id}/approve`, {});
      await until(async () => (await holder.lockWaiters()) >= 1, 'the approval waiting to insert the company');
      const asking = server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: 'race harbor co' });
      await until(async () => (await holder.lockWaiters()) >= 2, "the second request's insert waiting on the approval");
      await holder.release();
      const [approved, asked] = await Promise.all([approving, asking]);
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.deepEqual([asked.status, asked.body.error?.code], [409, 'company.name_taken']);
      const pending = (await operator.get('/api/operator/requests?status=pending')).body.requests as { companyName: string }[];
      assert.deepEqual(pending.filter((r) => r.companyName.toLowerCase() === 'race harbor co'), []);
    } finally {
      await holder.release().catch(() => {});
      await holder.close();
    }
  });
});
