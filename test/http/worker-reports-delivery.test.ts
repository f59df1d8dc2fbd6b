// A module (or SMTP server) that refuses the connection is the recipient's failure:
// `delivery failed` at warn, at most once a minute, never `database unavailable`. A
// refused connection's cause (ECONNREFUSED) reads like a lost database connection, and the
// reporter took it for one: following README's walkthrough with a module whose
// back-channel URI was not listening, the log said the database flapped at every retry.
// `undelivered` is now the recipient's alone (src/storage/worker-reports.ts), and the
// workers record a delivery outside the catch that reports it, so a database failing
// there is a failed pass (src/mail/worker.ts, src/modules/backchannel/worker.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workerReports } from '../../src/storage/index.ts';
import { freePort } from '../helpers/net.ts';

test('a module that refuses the back-channel connection is "delivery failed", never "database unavailable"', async () => {
  const lines: Array<{ level: string; message: string; fields: object }> = [];
  const log = {
    warn: (fields: object, message: string) => void lines.push({ level: 'warn', message, fields }),
    error: (fields: object, message: string) => void lines.push({ level: 'error', message, fields }),
  };
  const reports = workerReports(() => log)('logout');
  const port = await freePort();
  let refused: unknown;
  try {
    await fetch(`http://127.0.0.1:${port}/backchannel-logout`, { method: 'POST', body: 'logout_token=x' });
  } catch (error) {
    refused = error;
  }
  assert.ok(refused instanceof Error, 'nothing listens there');
  // Three passes of the worker, each with a failed delivery and then a pass that went through.
  for (let i = 0; i < 3; i++) {
    reports.undelivered(refused);
    reports.passed();
  }
  const messages = lines.map((line) => `${line.level}: ${line.message}`);
  assert.ok(!messages.some((m) => /database (unavailable|available again)/.test(m)), `the database was never down: ${JSON.stringify(messages)}`);
  assert.deepEqual(messages, ['warn: delivery failed'], 'one line for the module, repeats counted into the next minute\'s');
});
