// Guards every wait on a PostgreSQL that stops answering instead of going away: the
// primary's host frozen (a paused VM, a storage stall, a network path that drops packets
// without a reset). Here the processes of a private cluster (test/helpers/private-postgres.ts)
// are stopped with SIGSTOP: connections stay open and the kernel accepts new ones, but
// nothing answers.
//
// docs/OPERATIONS.md promises `/readyz` answers `503 {"status":"unavailable"}` when the
// database does not answer, and requests answer 503 with Retry-After. Before the fix the
// pool bounded only the wait for a new connection (connectionTimeoutMillis); a statement
// sent on a pooled connection had no bound at all, so readiness and every request that
// drew an idle connection simply hung. Now each statement has a deadline
// (src/storage/query-deadline.ts), readiness a shorter one of its own, and a connection
// whose statement outlived its deadline is closed, never handed back to the pool busy:
// the transaction it held is rolled back, and the pool serves at once when the database
// answers again.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { isDatabaseUnavailable } from '../../src/storage/index.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { noPrivatePostgres, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

/** What "bounded" means here: twice the pool's connection timeout. */
const BOUND_MS = 10_000;
const METRICS_TOKEN = 'metrics-token-0123456789abcdefghijklmnop';

describe('a PostgreSQL that stops answering', { skip: noPrivatePostgres }, () => {
  let postgres: PrivatePostgres;
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;

  /** A request with a deadline past the bound: its status and Retry-After, or that it was still waiting. */
  async function answerWithin(pathname: string, init: RequestInit = {}) {
    const started = Date.now();
    try {
      const answer = await fetch(server.baseUrl + pathname, { ...init, signal: AbortSignal.timeout(BOUND_MS + 3_000) });
      await answer.arrayBuffer();
      return { status: answer.status, retryAfter: answer.headers.get('retry-after'), ms: Date.now() - started };
    } catch {
      return { status: 'no answer', retryAfter: null, ms: Date.now() - started };
    }
  }

  before(async () => {
    postgres = await startPrivatePostgres('frozen');
    server = await startTestServer({ env: { GATEHOUSE_DATABASE_URL: postgres.url, GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN } });
    operator = await signedInOperator(server);
  });

  after(async () => {
    postgres?.thaw();
    await server?.close();
    postgres?.remove();
  });

  test('readiness and requests answer 503 in bounded time, a transaction cut short rolls back, and all recovers once it answers again', { timeout: 60_000 }, async () => {
    assert.equal((await operator.agent.get('/api/me')).status, 200);
    const { db } = server.gatehouse.storage;
    // Idle connections in the pool, for the requests below to draw: the case that hung
    // (a new connection is bounded by the pool's connection timeout).
    await Promise.all(Array.from({ length: 6 }, () => sql`select pg_sleep(0.05)`.execute(db)));
    // A transaction under way when the database freezes: its next statement gets no answer.
    let frozenMidway: () => void = () => {};
    const midway = new Promise<void>((resolve) => (frozenMidway = resolve));
    let begun: () => void = () => {};
    const halfDone = new Promise<void>((resolve) => (begun = resolve));
    let started = 0;
    const cutShort = db
      .transaction()
      .execute(async (tx) => {
        await sql`create table frozen_probe (x int)`.execute(tx);
        begun();
        await midway;
        started = Date.now();
        await sql`insert into frozen_probe values (1)`.execute(tx);
      })
      .then(
        () => ({ error: undefined as unknown, ms: Date.now() - started }),
        (error: unknown) => ({ error, ms: Date.now() - started }),
      );
    const transactionWithin = () =>
      Promise.race([cutShort, delay(BOUND_MS + 3_000).then(() => ({ error: 'no answer' as unknown, ms: Date.now() - started }))]);
    await halfDone;
    const cookie = operator.agent.cookieHeader('/api/me');
    postgres.freeze();
    frozenMidway();
    const [ready, me, health, transaction] = await Promise.all([
      answerWithin('/readyz'),
      answerWithin('/api/me', cookie ? { headers: { cookie } } : {}),
      answerWithin('/healthz'),
      transactionWithin(),
    ]);
    postgres.thaw();
    // Recovery first, so that a failed bound below leaves nothing in flight behind it.
    await until(async () => (await server.agent().get('/readyz')).status === 200, 'readiness to go green again', 20_000);
    assert.equal((await operator.agent.get('/api/me')).status, 200, 'the session survived');
    assert.equal(health.status, 200, 'liveness stays green');
    assert.deepEqual(
      { readyz: ready.status, request: me.status, retryAfter: me.retryAfter },
      { readyz: 503, request: 503, retryAfter: '5' },
      `within ${BOUND_MS} ms of a database that stopped answering (readyz after ${ready.ms} ms, /api/me after ${me.ms} ms)`,
    );
    assert.ok(ready.ms <= BOUND_MS && me.ms <= BOUND_MS, `answered in ${ready.ms} and ${me.ms} ms`);

    await cutShort;
    assert.ok(isDatabaseUnavailable(transaction.error), `the transaction failed as an outage: ${String(transaction.error)}`);
    assert.ok(transaction.ms <= BOUND_MS, `the transaction gave up after ${transaction.ms} ms`);
    // Nothing of it was kept: PostgreSQL rolled it back once it saw its connection closed.
    await until(async () => {
      const { rows } = await sql<{ gone: boolean }>`select to_regclass('frozen_probe') is null as gone`.execute(db);
      return rows[0]?.gone === true;
    }, 'the cut-short transaction to be rolled back');
    // The pool holds no connection left waiting on an old answer: as many statements as it
    // has connections, and more, all answer at once.
    const answered = Date.now();
    await Promise.all(Array.from({ length: 12 }, () => sql`select 1`.execute(db)));
    assert.ok(Date.now() - answered < BOUND_MS / 2, `the pool answered in ${Date.now() - answered} ms`);
    // The connections closed for want of an answer were counted.
    const scrape = await server.agent().get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    const timeouts = Number(/^gatehouse_db_connection_failures_total\{kind="timeout"\} (\d+)$/m.exec(String(scrape.body))?.[1]);
    assert.ok(timeouts >= 2, `timeouts counted: ${timeouts}`);
  });
});
