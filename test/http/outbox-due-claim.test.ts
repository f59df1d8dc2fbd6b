// A worker claims the rows of the due list it read a moment before (src/storage/leased-jobs.ts).
// The claim once checked only the status and the lease, not that the row was still due: a
// worker, or a node, whose list was stale took a row that another had just tried, failed
// and put back with a backoff, so a failing message was tried once per node in a row. The
// claim now takes a row only when it is due, in both outboxes (mail, logout notices).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/crypto/index.ts';
import { enqueueMail } from '../../src/mail/index.ts';
import { pendingJob, leasedJobs } from '../../src/storage/leased-jobs.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { SmtpCapture } from '../helpers/smtp.ts';
import { twoNodesOnePostgres, type TwoNodes } from '../helpers/two-nodes.ts';
import { until } from '../helpers/until.ts';

const queue = (node: TestServer, to: string) =>
  enqueueMail(node.gatehouse.deps.db, node.gatehouse.deps.secrets, node.clock(), { companyId: null, to, subject: 'Welcome to Gatehouse', html: '<p>hi</p>', text: 'hi' });

for (const engine of await enginesUnderTest()) describe(`a claim takes only a due row (${engine})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ engine, quietWorkers: true });
  });
  after(() => server.close());

  const db = () => server.gatehouse.storage.db;
  const retry = { maxAttempts: 5, delayMs: () => 60_000 };
  const queueLogoutNotice = async () => {
    const id = newId();
    await db()
      .insertInto('backchannel_outbox')
      .values({ id, company_id: newId(), client_id: 'due-claim-module', account_id: newId(), sid: null, reason: 'signed out', ...pendingJob(server.clock()) })
      .execute();
    return id;
  };

  for (const [table, queueOne] of [
    ['outbox', () => queue(server, 'stale@due.test')],
    ['backchannel_outbox', queueLogoutNotice],
  ] as const) {
    test(`${table}: a row put back with a backoff after another worker read the due list waits for its time`, async () => {
      const id = await queueOne();
      const late = leasedJobs(db(), table, server.clock, retry);
      const other = leasedJobs(db(), table, server.clock, retry);
      assert.ok((await late.due(20)).includes(id), 'the first worker lists the row as due');
      const tried = await other.claim(id);
      assert.ok(tried);
      await other.notDelivered(tried, '451 try again later');

      assert.equal(await late.claim(id), undefined, 'its stale list does not bring the row back before its backoff');
      server.clock.advance(60_000);
      const due = await late.claim(id);
      assert.ok(due, 'once due, it is claimed');
      assert.equal(due.attempts, 2);
      await late.delivered(due);
    });
  }
});

if ((await enginesUnderTest()).includes('postgres')) describe('two nodes and a message the server defers', () => {
  let two: TwoNodes;
  let smtp: SmtpCapture;
  let nodeA: TestServer;
  let nodeB: TestServer;
  before(async () => {
    two = await twoNodesOnePostgres();
    ({ smtp, nodeA, nodeB } = two);
  });
  // A node still sending waits for its answer: close gives every held one so it can stop.
  after(() => two.close());

  test("a node does not try again, from its stale list, a message another node just tried and put back", async () => {
    const first = await queue(nodeA, 'first@due.test');
    nodeA.clock.advance(1);
    nodeB.clock.advance(1);
    const second = await queue(nodeA, 'second@due.test');
    // Node A lists both as due and sends the first; its SMTP server takes its time.
    let doneA = false;
    const onA = nodeA.gatehouse.mailWorker.runOnce().finally(() => (doneA = true));
    await smtp.waitFor((m) => m.to.includes('first@due.test'));
    // Meanwhile node B tries the second; the server defers it (451): back with a backoff.
    const onB = nodeB.gatehouse.mailWorker.runOnce();
    await smtp.waitFor((m) => m.to.includes('second@due.test'));
    smtp.held[1]?.(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
    await onB;
    // Node A's first message goes out; it then reaches the second on its list.
    smtp.held[0]?.();
    await until(() => doneA || smtp.held.length > 2, 'node A to finish its pass or send again');
    smtp.held[2]?.();
    await onA;

    const read = (id: string) => nodeA.gatehouse.storage.db.selectFrom('outbox').select(['status', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(await read(first), { status: 'sent', attempts: 1 });
    assert.deepEqual(await read(second), { status: 'pending', attempts: 1 }, 'tried once, waiting for its backoff');
    assert.equal(smtp.messages.filter((m) => m.to.includes('second@due.test')).length, 1);
  });
});
