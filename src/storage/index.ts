// The storage door: opens the configured engine behind one Kysely instance, migrates it,
// and tells the HTTP layer when a failure means "database unavailable" (503, not 500).
import { Kysely, sql, type Transaction } from 'kysely';
import { createPostgresDialect, createPostgresPool } from './postgres.ts';
import { createSqliteDialect, openSqliteDatabase } from './sqlite.ts';
import { migrateToLatest, migrations } from './migrate.ts';
import type { Database } from './schema.ts';

export type { Database } from './schema.ts';
export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the pool or an open transaction: store functions accept both. */
export type Queryable = Kysely<Database>;

export type DatabaseSettings = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export interface Storage {
  readonly db: Db;
  readonly kind: DatabaseSettings['kind'];
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStorage(settings: DatabaseSettings, options: { migrate?: boolean } = {}): Promise<Storage> {
  const dialect =
    settings.kind === 'postgres'
      ? createPostgresDialect(createPostgresPool(settings.url))
      : createSqliteDialect(openSqliteDatabase(settings.file));
  const db = new Kysely<Database>({ dialect });
  if (options.migrate !== false) await migrateToLatest(db as unknown as Kysely<unknown>);
  return {
    db,
    kind: settings.kind,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

export { migrateToLatest, migrations };

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', '53300',
  'ERR_SQLITE_BUSY', 'SQLITE_BUSY',
]);

/** True when an error means the database cannot be reached or is overloaded right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  // "driver has already been destroyed": Kysely after storage.close() (shutting down).
  return /Connection terminated|timeout exceeded when trying to connect|database is locked|Cannot use a pool after calling end|driver has already been destroyed/i.test(
    error.message,
  );
}

/** Unique-constraint violation on either engine (a race lost to another writer). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || /UNIQUE constraint failed/i.test(error.message);
}
