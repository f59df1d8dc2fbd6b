// What a node reports to Prometheus. One registry per Gatehouse instance (tests run many
// in one process), filled by the parts that know: the HTTP layer (requests, login steps),
// the storage door (queries, pool), the password hasher (its gate) and, at scrape time,
// the two outboxes (what is still to deliver, what failed for good). Loaded only by a node
// that has somewhere to serve them (metrics.ts).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { estimatorLoad } from '../credentials/index.ts';
import type { PasswordHasher } from '../crypto/index.ts';
import type { Db, Storage } from '../storage/index.ts';
import type { Metrics } from './metrics.ts';

/** Seconds: from a cached token check (~1 ms) to a password step (argon2id, ~50 ms+) to a slow outlier. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const QUERY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];

function statementKind(sql: string): string {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase();
  return verb === 'select' || verb === 'insert' || verb === 'update' || verb === 'delete' || verb === 'with' ? verb : 'other';
}

async function backlog(db: Db, table: 'outbox' | 'backchannel_outbox', status: 'pending' | 'failed'): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', status).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export function createMetrics(): Metrics & { readonly registry: Registry } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  const requests = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status, from arrival to the last byte sent',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });
  const loginSteps = new Counter({
    name: 'gatehouse_login_steps_total',
    help: 'Login steps answered, by step and outcome (ok: 2xx; refused: 4xx, e.g. a wrong password or code; error: 5xx)',
    labelNames: ['step', 'outcome'] as const,
    registers: [registry],
  });
  const queries = new Histogram({
    name: 'gatehouse_db_query_duration_seconds',
    help: 'Database statements by kind (select, insert, update, delete, with, other) and whether they failed',
    labelNames: ['kind', 'failed'] as const,
    buckets: QUERY_BUCKETS,
    registers: [registry],
  });
  const commits = new Histogram({
    name: 'gatehouse_sqlite_commit_statements',
    help: 'SQLite only: statements per group commit (writes and the reads made while it was open); the count is the number of commits',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [registry],
  });
  const flushes = new Histogram({
    name: 'gatehouse_sqlite_commit_duration_seconds',
    help: 'SQLite only: time of each group COMMIT, the flush to disk included',
    buckets: QUERY_BUCKETS,
    registers: [registry],
  });
  const unflushed = new Counter({
    name: 'gatehouse_sqlite_unflushed_commits_total',
    help: 'SQLite only: group commits that did not wait for the disk (only client credentials tokens in them, or synchronous = normal)',
    registers: [registry],
  });
  const connectionFailures = new Counter({
    name: 'gatehouse_db_connection_failures_total',
    help: 'PostgreSQL connections that could not be had (connect: refused, failed or timed out), ended while open (lost), or closed because a statement got no answer within its deadline (timeout)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  let parts: { storage: Storage; hasher: PasswordHasher } | undefined;
  new Gauge({
    name: 'gatehouse_password_hashes',
    help: 'argon2id hashes and verifies running and waiting for a slot (GATEHOUSE_ARGON2_MAX_CONCURRENCY)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const load = parts?.hasher.load();
      this.set({ state: 'running' }, load?.running ?? 0);
      this.set({ state: 'waiting' }, load?.waiting ?? 0);
    },
  });
  new Gauge({
    name: 'gatehouse_password_checks',
    help: "New passwords in the common-password check: being scored on the estimator's thread, and waiting for it",
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const load = estimatorLoad();
      this.set({ state: 'running' }, load.running);
      this.set({ state: 'waiting' }, load.waiting);
    },
  });
  new Gauge({
    name: 'gatehouse_db_pool_connections',
    help: 'PostgreSQL pool connections: total open, idle, and requests waiting for one (absent on SQLite)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const pool = parts?.storage.poolStats();
      if (!pool) return;
      this.set({ state: 'total' }, pool.total);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });
  /**
   * The two outboxes' rows in one state, read at scrape time. Every worker reads the same
   * rows: one node's workers report the count once, not summed. A scrape during a database
   * outage still answers, without these.
   */
  const outboxGauge = (name: string, help: string, status: 'pending' | 'failed') =>
    new Gauge({
      name,
      help,
      labelNames: ['outbox'] as const,
      aggregator: 'max',
      registers: [registry],
      async collect() {
        if (!parts) return;
        const { db } = parts.storage;
        const [mail, logout] = await Promise.all([backlog(db, 'outbox', status), backlog(db, 'backchannel_outbox', status)]).catch(() => [undefined, undefined]);
        if (mail !== undefined) this.set({ outbox: 'mail' }, mail);
        if (logout !== undefined) this.set({ outbox: 'logout' }, logout);
      },
    });
  outboxGauge('gatehouse_outbox_pending', 'Messages not delivered yet: mail and back-channel logout notices', 'pending');
  outboxGauge(
    'gatehouse_outbox_failed',
    'Messages given up on for good (refused by the server, or out of attempts), kept with their last error: mail and back-channel logout notices',
    'failed',
  );

  return {
    registry,
    observeRequest: (route, method, status, seconds) => requests.observe({ route, method, status: String(status) }, seconds),
    countLoginStep: (step, outcome) => loginSteps.inc({ step, outcome }),
    observeQuery: (sql, seconds, failed) => queries.observe({ kind: statementKind(sql), failed: failed ? 'true' : 'false' }, seconds),
    observeCommit: (statements, seconds, flushed) => {
      commits.observe(statements);
      flushes.observe(seconds);
      if (!flushed) unflushed.inc();
    },
    countConnectionFailure: (kind) => connectionFailures.inc({ kind }),
    watch(next) {
      parts = next;
      // PostgreSQL's, at zero from the start, so a rate over them is defined before the first failure.
      if (next.storage.kind === 'postgres') for (const kind of ['connect', 'lost', 'timeout'] as const) connectionFailures.inc({ kind }, 0);
    },
  };
}
