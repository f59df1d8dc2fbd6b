// How long a PostgreSQL statement may wait for its answer (postgres.ts sends it as pg's
// query_timeout). Kept apart from postgres.ts so that the storage door can scope it
// (readiness, migrations) without loading pg on a SQLite node.
import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The longest any statement of the running product may wait for its answer. The longest
 * legitimate ones stay far below it: lists and CSV exports read in keyset pages of at most
 * 1,000 rows, sweeps and audit retention delete in batches of 1,000 (a statement each),
 * and transactions hold their locks for a few statements only. Migrations, which can
 * rewrite whole tables and wait for another node's migration lock, run without one
 * (migrateToLatest, index.ts).
 */
export const QUERY_DEADLINE_MS = 5_000;

/** The deadline of the statements sent in a scope (ms; 0: none). */
const scoped = new AsyncLocalStorage<number>();

/** Runs `work` with its statements' deadline set to `ms` (0: none). */
export function withQueryDeadline<T>(ms: number, work: () => Promise<T>): Promise<T> {
  return scoped.run(ms, work);
}

/** The deadline for a statement sent now (ms; 0: none). */
export function queryDeadlineNow(): number {
  return scoped.getStore() ?? QUERY_DEADLINE_MS;
}
