// Guards what an operator reads in the logs while PostgreSQL is down (docs/OPERATIONS.md,
// "A database outage or failover"): a lost connection is logged once, at warn; the
// background workers (mail, back-channel logout with its sweeps and audit retention, the
// signing-key check) say `database unavailable` once at warn when the outage is met and
// `database available again` once when it ends, with code and message only (no stack,
// no driver object); `error` is kept for bugs; and everything goes through the JSON
// logger, never a plain console line.
//
// A private cluster (test/helpers/private-postgres.ts) is stopped under a running
// Gatehouse and left down for a few quiet seconds in which nobody sends a request. The
// workers keep polling every fraction of a second meanwhile: before the fix the logout
// worker wrote an `error`-level "openid connect provider error" with the driver's stack
// on every pass, and the mail worker a plain stderr line on every pass; an hour's outage
// was thousands of error lines, paging whoever alerts on them and burying the one line
// that matters.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { signedInOperator } from '../helpers/journey.ts';
import { noPrivatePostgres, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

/** How long the outage lasts with nobody sending requests. */
const QUIET_MS = 4_000;
const METRICS_TOKEN = 'metrics-token-0123456789abcdefghijklmnop';

interface JsonLine {
  level: number;
  msg: string;
  worker?: string;
  err?: { message?: string; stack?: string };
  database?: { code?: string; message?: string };
}

describe('a PostgreSQL outage in the logs', { skip: noPrivatePostgres }, () => {
  let postgres: PrivatePostgres;
  let server: TestServer;
  /** Every JSON line and plain console line from the moment the database was stopped. */
  const outage: { json: JsonLine[]; plain: string[] } = { json: [], plain: [] };
  /** Those written in the quiet stretch: the database down, the outage known, nobody asking. */
  const quiet: { json: JsonLine[]; plain: string[] } = { json: [], plain: [] };
  let recording = false;
  let quietNow = false;
  const original = { error: console.error, warn: console.warn };
  const plain = (...args: unknown[]) => {
    if (!recording) return;
    const line = args.map(String).join(' ');
    outage.plain.push(line);
    if (quietNow) quiet.plain.push(line);
  };

  before(async () => {
    postgres = await startPrivatePostgres('logs');
    console.error = plain;
    console.warn = plain;
    server = await startTestServer({
      logStream: {
        write: (text: string) => {
          if (!recording) return;
          const line = JSON.parse(text) as JsonLine;
          outage.json.push(line);
          if (quietNow) quiet.json.push(line);
        },
      },
      env: { GATEHOUSE_DATABASE_URL: postgres.url, GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN },
    });
    const operator = await signedInOperator(server);
    assert.equal((await operator.agent.get('/api/me')).status, 200);

    recording = true;
    postgres.stop('fast');
    await until(async () => (await server.agent().get('/readyz')).status === 503, 'readiness to go red');
    // The outage is known (readiness red, the workers met it): from here on nothing new
    // happens but time passing.
    await until(() => outage.json.some((line) => line.msg === 'database unavailable' && line.worker), 'a worker to report the outage');
    quietNow = true;
    await delay(QUIET_MS);
    quietNow = false;
    postgres.start();
    await until(async () => (await server.agent().get('/readyz')).status === 200, 'readiness to go green again', 20_000);
    await until(() => outage.json.some((line) => line.msg === 'database available again'), 'a worker to report the end of the outage', 20_000);
    recording = false;
    assert.equal((await operator.agent.get('/api/me')).status, 200, 'the session survived');
  });

  after(async () => {
    console.error = original.error;
    console.warn = original.warn;
    recording = false;
    await server?.close();
    postgres?.remove();
  });

  test('an outage is never logged at error level (error is for bugs)', () => {
    const errors = outage.json.filter((line) => line.level >= 50);
    assert.deepEqual(
      errors.map((line) => `${line.msg}: ${line.err?.message ?? ''}`),
      [],
      `${errors.length} error-level lines during a database outage with no request made`,
    );
  });

  test('a quiet outage does not keep writing lines', () => {
    const lines = [...quiet.json.map((line) => `json ${line.level} ${line.msg}: ${line.err?.message ?? ''}`), ...quiet.plain.map((line) => `plain ${line}`)];
    assert.deepEqual(lines, [], `${lines.length} log lines in ${QUIET_MS} ms of an outage nobody touched`);
  });

  test('the workers say it once when it starts and once when it ends, at warn, code and message only', () => {
    const states = outage.json.filter((line) => line.worker && /^database (unavailable|available again)$/.test(line.msg));
    assert.deepEqual(
      states.map((line) => [line.level, line.msg]),
      [
        [40, 'database unavailable'],
        [40, 'database available again'],
      ],
    );
    assert.deepEqual(Object.keys(states[0]?.database ?? {}).sort(), ['code', 'message']);
    assert.ok(!JSON.stringify(outage.json).includes('"stack"'), 'no stack in any line of the outage');
  });

  test('everything went through the JSON logger: no plain console line', () => {
    assert.deepEqual(outage.plain, []);
  });

  test('the metrics counted the lost connections and the failed attempts to connect', async () => {
    const scrape = await server.agent().get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(scrape.status, 200);
    const count = (kind: string) => Number(new RegExp(`^gatehouse_db_connection_failures_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(String(scrape.body))?.[1]);
    assert.ok(count('lost') >= 1, `lost: ${count('lost')}`);
    assert.ok(count('connect') >= 1, `connect: ${count('connect')}`);
  });
});
