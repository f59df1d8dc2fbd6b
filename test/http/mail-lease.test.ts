// An outbox row is delivered under a lease (src/storage/leased-jobs.ts). A delivery that
// outlived its lease once wrote its outcome over the one of the worker that took the row
// next: a late SMTP failure put back to pending a message the other node had delivered,
// whose payload was already gone, so it was claimed and counted forever and never settled.
// The outcome is now written only under the lease its worker still holds, the worker
// renews the lease while a delivery lasts, and SMTP waits are bounded per phase.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enqueueMail } from '../../src/mail/index.ts';
import { leasedJobs, LEASE_MS } from '../../src/storage/leased-jobs.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { SmtpCapture } from '../helpers/smtp.ts';
import { twoNodesOnePostgres, type TwoNodes } from '../helpers/two-nodes.ts';

const queue = (node: TestServer, to: string) =>
  enqueueMail(node.gatehouse.deps.db, node.gatehouse.deps.secrets, node.clock(), { companyId: null, to, subject: 'Welcome to Gatehouse', html: '<p>hi</p>', text: 'hi' });

for (const engine of await enginesUnderTest()) describe(`the outbox lease (${engine})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ engine, quietWorkers: true });
  });
  after(() => server.close());

  const outbox = () => leasedJobs(server.gatehouse.storage.db, 'outbox', server.clock, { maxAttempts: 5, delayMs: () => 60_000 });
  const row = (id: string) => server.gatehouse.storage.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  test('a renewed lease keeps the row from other workers past its first end; a lost one writes nothing', async () => {
    const id = await queue(server, 'renewed@lease.test');
    const holder = outbox();
    const held = await holder.claim(id);
    assert.ok(held);
    server.clock.advance(LEASE_MS - 1_000);
    assert.equal(await holder.renew(held), true);
    server.clock.advance(30_000); // past the first lease, within the renewed one
    assert.equal(await outbox().claim(id), undefined, 'another worker cannot take a held row');
    await holder.delivered(held, { payload: null });
    assert.equal((await row(id)).status, 'sent');

    const other = await queue(server, 'lost@lease.test');
    const late = await holder.claim(other);
    assert.ok(late);
    server.clock.advance(LEASE_MS + 1_000); // the lease runs out unrenewed
    const taker = outbox();
    const taken = await taker.claim(other);
    assert.ok(taken, 'an expired lease lets another worker take the row');
    assert.equal(await holder.renew(late), false, 'the first worker learns it lost the row');
    await holder.notDelivered(late, 'too late');
    await taker.delivered(taken, { payload: null });
    await holder.notDelivered(late, 'later still');
    const settled = await row(other);
    assert.deepEqual([settled.status, settled.attempts, settled.last_error], ['sent', 2, null]);
  });
});

if ((await enginesUnderTest()).includes('postgres')) describe('two nodes sending one message', () => {
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

  test("a node's late failure does not undo the delivery another node made after its lease ran out", async () => {
    const id = await queue(nodeA, 'bo@beta.test');
    const onA = nodeA.gatehouse.mailWorker.runOnce();
    await smtp.waitFor(() => smtp.messages.length >= 1);
    // Node A's server has not answered for longer than the lease (a stalled node, a clock
    // jump): node B takes the row and delivers it.
    nodeA.clock.advance(LEASE_MS + 1_000);
    nodeB.clock.advance(LEASE_MS + 1_000);
    const onB = nodeB.gatehouse.mailWorker.runOnce();
    await smtp.waitFor(() => smtp.messages.length >= 2);
    smtp.held[1]?.();
    await onB;
    smtp.held[0]?.(Object.assign(new Error('try again later'), { responseCode: 451 }));
    await onA;
    const read = () => nodeA.gatehouse.storage.db.selectFrom('outbox').select(['status', 'attempts', 'payload']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(await read(), { status: 'sent', attempts: 2, payload: null });
    // Later passes find nothing to do: the message stays delivered.
    nodeA.clock.advance(31 * 60_000);
    await nodeA.gatehouse.mailWorker.runOnce();
    assert.deepEqual(await read(), { status: 'sent', attempts: 2, payload: null });
  });
});
