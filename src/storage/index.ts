// The storage door: opens the configured engine behind one Kysely instance, migrates it,
// and tells the HTTP layer when a failure means "database unavailable" (503, not 500).
import { Kysely, sql, type Dialect, type LogEvent, type Transaction } from 'kysely';
import { describeDatabaseError } from './errors.ts';
import type { createPostgresPool } from './postgres.ts';
import { withQueryDeadline } from './query-deadline.ts';
import { RetryingKysely } from './retry.ts';
import { createSqliteDialect, openSqliteDatabase, type Durability, type SqliteSynchronous } from './sqlite.ts';
import { migrateToLatest as migrateWithin, migrations } from './migrate.ts';
import type { Database } from './schema.ts';

export type { Database } from './schema.ts';
export { afterKey, containing, type ListPage, type TimeKey } from './list-pages.ts';
export { rowInsertedIf } from './row-inserted-if.ts';
export { rolledBuckets, spendRateSlot, takeRateSlot, type RateCap } from './rate-caps.ts';
export type { Durability } from './sqlite.ts';
export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the pool or an open transaction: store functions accept both. */
export type Queryable = Kysely<Database>;

export type DatabaseSettings =
  | { kind: 'sqlite'; file: string; synchronous?: SqliteSynchronous }
  /** preparedStatements: the hot reads sent as named prepared statements (default; prepared-statements.ts). */
  | { kind: 'postgres'; url: string; preparedStatements?: boolean };

/** A lost connection, as safe to log: code and message, never the connection settings. */
export type ConnectionLoss = ReturnType<typeof describeDatabaseError>;

export interface Storage {
  readonly db: Db;
  readonly kind: DatabaseSettings['kind'];
  /**
   * Readiness: a cheap round trip that fails, as a lost connection does, when the database
   * answers but takes no writes (PostgreSQL left on a standby or read-only after a failover:
   * every login there would answer 503, so the node must leave the load balancer too).
   */
  ping(): Promise<void>;
  /**
   * Where a lost PostgreSQL connection is reported, once per connection (until set: one
   * line on stderr). The server points it at its logger once that exists.
   */
  reportConnectionLoss(report: (loss: ConnectionLoss) => void): void;
  /**
   * For answers built from reads (SQLite group commit): take a mark as a request starts;
   * before its answer leaves, `settled(mark)`, if not undefined, must be awaited (it
   * rejects when a write the request could have read was lost). PostgreSQL never shows
   * uncommitted writes: there the mark is 0 and nothing is ever pending.
   */
  readonly durability: Durability;
  /** The PostgreSQL pool's connections (metrics); undefined on SQLite, which has one. */
  poolStats(): { total: number; idle: number; waiting: number } | undefined;
  close(): Promise<void>;
}

export interface StorageOptions {
  migrate?: boolean;
  /** Told of every statement with its duration (metrics); costs one clock read per statement. */
  onQuery?: (sql: string, seconds: number, failed: boolean) => void;
  /** Told of every SQLite group commit: statements it held, seconds its COMMIT took. */
  onCommit?: (statements: number, seconds: number, flushed: boolean) => void;
  /**
   * PostgreSQL: told of every connection that could not be had (`connect`: refused, failed,
   * or not within the pool's timeout), that ended while open (`lost`), or that was closed
   * because a statement on it got no answer in time (`timeout`). Metrics count them.
   */
  onConnectionFailure?: (kind: ConnectionFailure) => void;
}

export type ConnectionFailure = 'connect' | 'lost' | 'timeout';

/**
 * Readiness gives the database this long to answer, a pool connection included: a load
 * balancer's probe gives up after a few seconds, and a red answer in time is the point.
 */
export const PING_DEADLINE_MS = 2_000;

export async function openStorage(settings: DatabaseSettings, options: StorageOptions = {}): Promise<Storage> {
  let report = (loss: ConnectionLoss) => console.warn(`Database connection lost: ${loss.code ? `${loss.code} ` : ''}${loss.message}`);
  let pool: ReturnType<typeof createPostgresPool> | undefined;
  let dialect: Dialect;
  let afterMigrations = () => {};
  let durability: Durability = { mark: () => 0, settled: () => undefined };
  if (settings.kind === 'postgres') {
    // pg and its parsers load only for PostgreSQL: a SQLite node never holds them.
    const { createPostgresDialect, createPostgresPool, isQueryTimeout } = await import('./postgres.ts');
    const { onConnectionFailure } = options;
    pool = createPostgresPool(
      settings.url,
      {
        connectionLost: (error) => {
          onConnectionFailure?.(isQueryTimeout(error) ? 'timeout' : 'lost');
          report(describeDatabaseError(error));
        },
        ...(onConnectionFailure ? { connectFailed: () => onConnectionFailure('connect') } : {}),
      },
      { preparedStatements: settings.preparedStatements ?? true },
    );
    dialect = createPostgresDialect(pool);
  } else {
    const sqlite = createSqliteDialect(openSqliteDatabase(settings.file, settings.synchronous), options.onCommit);
    dialect = sqlite.dialect;
    afterMigrations = sqlite.enableGroupCommit;
    durability = sqlite.durability;
  }
  const { onQuery } = options;
  const db: Db = new RetryingKysely<Database>({
    dialect,
    ...(onQuery ? { log: (event: LogEvent) => onQuery(event.query.sql, event.queryDurationMillis / 1000, event.level === 'error') } : {}),
  });
  if (options.migrate !== false) {
    await migrateToLatest(db as unknown as Kysely<unknown>).catch(async (error: unknown) => {
      await db.destroy().catch(() => {});
      throw error;
    });
  }
  afterMigrations();
  return {
    db,
    kind: settings.kind,
    durability,
    ping: () => withinDeadline(PING_DEADLINE_MS, settings.kind === 'postgres' ? () => primaryTakingWrites(db) : async () => void (await sql`select 1`.execute(db))),
    reportConnectionLoss: (next) => {
      report = next;
    },
    poolStats: () => (pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : undefined),
    close: () => db.destroy(),
  };
}

/**
 * `check`, failed after `ms` if it has not answered by then (waiting for a pool connection
 * included); its statement carries the same deadline, so its connection is closed then too.
 */
function withinDeadline(ms: number, check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`the database did not answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([withQueryDeadline(ms, check), late]).finally(() => clearTimeout(timer));
}

/**
 * Migrates `db` to this release's schema. Its statements have no deadline: a migration may
 * rewrite a large table, or wait for another node's migration to finish (the migrator's lock).
 */
export function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  return withQueryDeadline(0, () => migrateWithin(db));
}

async function primaryTakingWrites(db: Db): Promise<void> {
  const { rows } = await sql<{ writable: boolean }>`
    select not pg_is_in_recovery() and current_setting('transaction_read_only') = 'off' as writable`.execute(db);
  if (!rows[0]?.writable) throw new Error('the database takes no writes (a standby, or read-only)');
}

/**
 * Where the data lives, for an operator's console or log: the engine, and for PostgreSQL
 * only user, host, port and database. Nothing else of the URL is shown, since a password
 * can ride in it as `user:password@` and as any of pg's query settings (`?password=`,
 * `sslpassword`, `sslkey`...).
 */
export function describeDatabaseLocation(settings: DatabaseSettings): string {
  if (settings.kind === 'sqlite') return `SQLite ${settings.file}`;
  try {
    const url = new URL(settings.url);
    const user = url.username ? `${url.username}@` : '';
    return `PostgreSQL ${url.protocol}//${user}${url.host}${url.pathname}`;
  } catch {
    return 'PostgreSQL (a connection string that is not a URL)';
  }
}

export { migrations };
export { describeDatabaseError, isDatabaseUnavailable, isTransactionConflict, isUniqueViolation, isUnrepresentableValue } from './errors.ts';
export { retryConflicts, TRANSACTION_ATTEMPTS } from './retry.ts';
export { workerReports, type WorkerLog, type WorkerReports } from './worker-reports.ts';
