// The storage door: opens the configured engine behind one Kysely instance, migrates it,
// and tells the HTTP layer when a failure means "database unavailable" (503, not 500).
import { Kysely, sql, type Transaction } from 'kysely';
import { describeDatabaseError } from './errors.ts';
import { createPostgresDialect, createPostgresPool } from './postgres.ts';
import { RetryingKysely } from './retry.ts';
import { createSqliteDialect, openSqliteDatabase } from './sqlite.ts';
import { migrateToLatest, migrations } from './migrate.ts';
import type { Database } from './schema.ts';

export type { Database } from './schema.ts';
export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the pool or an open transaction: store functions accept both. */
export type Queryable = Kysely<Database>;

export type DatabaseSettings = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** A lost connection, as safe to log: code and message, never the connection settings. */
export type ConnectionLoss = ReturnType<typeof describeDatabaseError>;

export interface Storage {
  readonly db: Db;
  readonly kind: DatabaseSettings['kind'];
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  /**
   * Where a lost PostgreSQL connection is reported, once per connection (until set: one
   * line on stderr). The server points it at its logger once that exists.
   */
  reportConnectionLoss(report: (loss: ConnectionLoss) => void): void;
  close(): Promise<void>;
}

export async function openStorage(settings: DatabaseSettings, options: { migrate?: boolean } = {}): Promise<Storage> {
  let report = (loss: ConnectionLoss) => console.warn(`Database connection lost: ${loss.code ? `${loss.code} ` : ''}${loss.message}`);
  const dialect =
    settings.kind === 'postgres'
      ? createPostgresDialect(createPostgresPool(settings.url, (error) => report(describeDatabaseError(error))))
      : createSqliteDialect(openSqliteDatabase(settings.file));
  const db: Db = new RetryingKysely<Database>({ dialect });
  if (options.migrate !== false) {
    await migrateToLatest(db as unknown as Kysely<unknown>).catch(async (error: unknown) => {
      await db.destroy().catch(() => {});
      throw error;
    });
  }
  return {
    db,
    kind: settings.kind,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    reportConnectionLoss: (next) => {
      report = next;
    },
    close: () => db.destroy(),
  };
}

export { migrateToLatest, migrations };
export { describeDatabaseError, isDatabaseUnavailable, isTransactionConflict, isUniqueViolation } from './errors.ts';
export { retryConflicts, TRANSACTION_ATTEMPTS } from './retry.ts';
