// A keep-alive client sends an unparsable request while the answer to its previous one is
// still streaming (a CSV download between two batches). Node's parser reports that request
// to Gatehouse's handler with the download's headers already sent: its 400 would land
// inside the download's body, so the handler only closes the connection. The download
// is held between its batches by PostgreSQL locks, so the break arrives there every run.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { padAuditTrail } from '../helpers/audit-padding.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster } from '../helpers/oidc.ts';
import { holdLocks, lockWatcher } from '../helpers/pg-lock-holder.ts';
import { UNPARSABLE_REQUESTS } from '../helpers/raw-socket.ts';
import { startTestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

const PATH = '/api/company/audit.csv';
const LOCK = 'lock table audit_events in access exclusive mode';

// Only PostgreSQL lets another connection hold the download between its batches.
if ((await enginesUnderTest()).includes('postgres')) {
  test('postgres: a request that breaks behind a download under way closes the connection, writing nothing into the download', async () => {
    const server = await startTestServer({ engine: 'postgres', quietWorkers: true });
    after(() => server.close());
    const operator = (await signedInOperator(server)).agent;
    const acme = await companyWithRootMaster(server, operator, 'Acme Pipelined Export');
    // More than one batch (1,000 rows): the download reads a second one after its first is sent.
    await padAuditTrail(server, acme.companyId, { events: 1500, small: true });

    // The first batch waits behind `first`; `second` queues behind that query, so once
    // `first` lets go, the first batch is read and the second waits behind `second`.
    const first = await holdLocks(server.database.url);
    const second = await holdLocks(server.database.url);
    const watcher = await lockWatcher(server.database.url);
    const { host, port } = new URL(server.baseUrl);
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    try {
      await first.query(LOCK);
      socket.write(`GET ${PATH} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${acme.agent.cookieHeader(PATH)}\r\n\r\n`);

      const auditRead = /from "audit_events"/;
      await until(() => watcher.waitingAt(auditRead), 'the first batch to wait behind the lock');
      const queued = second.query(LOCK);
      await until(async () => (await watcher.count()) === 2, 'the second lock to queue behind the first batch');
      await first.release();
      // The download's headers and first batch are out; its second batch waits.
      await until(() => received.includes('\r\n\r\n') && received.includes('test.padding'), 'the first batch to arrive');
      await until(() => watcher.waitingAt(auditRead), 'the second batch to wait behind the lock');
      assert.match(received, /^HTTP\/1\.1 200 /);

      const [, unparsable] = UNPARSABLE_REQUESTS[0];
      socket.write(unparsable);
      await until(() => closed, 'the server to close the connection');

      // The download ends cut short; nothing else was written into it.
      const written = /HTTP\/1\.1 400|request\.unreadable/.exec(received);
      assert.equal(written, null, `an answer inside the download under way: ...${received.slice(Math.max(0, (written?.index ?? 0) - 100))}`);
      await queued;
      await second.release();
    } finally {
      // Before the server drops the database, which would cut these connections.
      socket.destroy();
      await first.close();
      await second.close();
      await watcher.close();
    }
  });
}
