// Kysely's SqliteDialect over Node's built-in node:sqlite (no native addon to build).
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
} from 'kysely';

type Params = ReadonlyArray<unknown>;
type SqlValue = null | number | bigint | string | Uint8Array;

function toSqlValues(parameters: Params): SqlValue[] {
  // node:sqlite binds only these types; booleans and dates never reach here by design.
  return parameters.map((value) => (value === undefined ? null : (value as SqlValue)));
}

function adapt(statement: StatementSync) {
  return {
    // A statement that yields columns is a reader (SELECT, or anything with RETURNING).
    reader: statement.columns().length > 0,
    all: (parameters: Params) => statement.all(...toSqlValues(parameters)),
    run: (parameters: Params) => statement.run(...toSqlValues(parameters)),
    iterate: (parameters: Params) => statement.iterate(...toSqlValues(parameters)),
  };
}

export function openSqliteDatabase(file: string): DatabaseSync {
  if (file !== ':memory:') {
    // The database holds password hashes and the local mailbox: owner-only, like the
    // secret key. SQLite gives its -wal and -shm files the database file's mode.
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  }
  const db = new DatabaseSync(file, { timeout: 5000 });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}

/**
 * Transactions take the write lock when they begin (BEGIN IMMEDIATE). With a deferred
 * BEGIN, a transaction that read first and writes later fails outright when another
 * process wrote in between; taking the lock up front makes it wait its turn instead
 * (busy timeout), which is what two processes on one file need, migrations included.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * SQLite does roll back DDL. Saying so makes the migrator run each migration inside one
 * (immediate) transaction: two processes starting together on one file migrate in turn,
 * and the second finds the work done instead of failing half-way.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export function createSqliteDialect(db: DatabaseSync): SqliteDialect {
  return new ImmediateSqliteDialect({
    database: {
      close: () => db.close(),
      prepare: (sql: string) => adapt(db.prepare(sql)),
    },
  });
}
