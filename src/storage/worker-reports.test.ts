// The background workers' reports (worker-reports.ts): an outage is two lines per node at
// warn however long it lasts and however many workers meet it, a bug is an error line at
// most once a minute with its repeats counted, and no line carries the driver's error
// object (a pg error hangs its client, connection settings included, on itself).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPEAT_WINDOW_MS, workerReports } from './worker-reports.ts';

function recorder() {
  const lines: Array<{ level: 'warn' | 'error'; message: string; fields: Record<string, unknown> }> = [];
  let now = 1_000_000;
  const of = workerReports(
    () => ({
      warn: (fields, message) => void lines.push({ level: 'warn', message, fields: fields as Record<string, unknown> }),
      error: (fields, message) => void lines.push({ level: 'error', message, fields: fields as Record<string, unknown> }),
    }),
    () => now,
  );
  return { lines, of, pass: (ms: number) => void (now += ms) };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED', client: { password: 'hunter2' } });

test('an outage met by every worker on every pass is one line, and its end one more', () => {
  const { lines, of } = recorder();
  const mail = of('mail');
  const logout = of('logout');
  for (let pass = 0; pass < 100; pass += 1) {
    mail.failed(refused());
    logout.failed(refused());
  }
  logout.passed();
  mail.passed();
  logout.passed();
  assert.deepEqual(
    lines.map((line) => [line.level, line.message, line.fields.worker]),
    [
      ['warn', 'database unavailable', 'mail'],
      ['warn', 'database available again', 'logout'],
    ],
  );
  assert.deepEqual(lines[0]?.fields.database, { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.5:5432' });
  assert.ok(!JSON.stringify(lines).includes('hunter2'), 'nothing of the error object but its code and message');
});

test('a worker that never met the outage does not end it (no flapping while a standby refuses one worker)', () => {
  const { lines, of } = recorder();
  const mail = of('mail');
  const logout = of('logout');
  const readOnly = Object.assign(new Error('cannot execute UPDATE in a read-only transaction'), { code: '25006' });
  for (let pass = 0; pass < 10; pass += 1) {
    mail.failed(readOnly);
    logout.passed();
  }
  assert.deepEqual(lines.map((line) => line.message), ['database unavailable']);
});

test('a bug is an error with its stack, written at most once a minute, its repeats counted', () => {
  const { lines, of, pass } = recorder();
  const logout = of('logout');
  for (let n = 0; n < 60; n += 1) {
    logout.failed(new TypeError("Cannot read properties of undefined (reading 'id')"));
    pass(1_000);
  }
  logout.failed(new TypeError("Cannot read properties of undefined (reading 'id')"));
  logout.failed(new Error('another bug'));
  assert.deepEqual(
    lines.map((line) => [line.level, line.message, line.fields.repeated]),
    [
      ['error', 'background work failed', undefined],
      ['error', 'background work failed', 59],
      ['error', 'background work failed', undefined],
    ],
  );
  assert.match(String((lines[0]?.fields.err as { stack?: string }).stack), /TypeError/);
  assert.equal(REPEAT_WINDOW_MS, 60_000);
});

test('a refused delivery is a warning, at most once a minute, without a stack', () => {
  const { lines, of } = recorder();
  const mail = of('mail');
  for (let n = 0; n < 5; n += 1) mail.undelivered(Object.assign(new Error('550 mailbox unavailable'), { code: 'EENVELOPE' }));
  assert.deepEqual(
    lines.map((line) => [line.level, line.message, line.fields.err]),
    [['warn', 'delivery failed', { code: 'EENVELOPE', message: '550 mailbox unavailable' }]],
  );
});
