// Kysely's SqliteDialect over Node's built-in node:sqlite (no native addon to build).
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { SqliteAdapter, SqliteDialect, type DialectAdapter, type Driver, type SqliteDialectConfig } from 'kysely';
import { GroupCommitSqliteDriver, type CommitObserver } from './group-commit.ts';

type Params = ReadonlyArray<unknown>;
type SqlValue = null | number | bigint | string | Uint8Array;

function toSqlValues(parameters: Params): SqlValue[] {
  // node:sqlite binds only these types; booleans and dates never reach here by design.
  return parameters.map((value) => (value === undefined ? null : (value as SqlValue)));
}

/** Distinct statements kept prepared; Gatehouse's queries are a few hundred shapes. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Statements are prepared once per SQL text and reused: preparing (parsing and planning)
 * cost as much as running the small indexed reads most requests make. Reuse is safe
 * because `all` and `run` finish synchronously, so no two uses of one statement overlap;
 * `iterate` hands out a cursor that could, so it gets a statement of its own.
 */
export type PreparedStatements = ReturnType<typeof statementCache>;

function statementCache(db: DatabaseSync) {
  const cache = new Map<string, { statement: StatementSync; reader: boolean }>();
  return (sql: string) => {
    let entry = cache.get(sql);
    if (entry) {
      // Least recently used goes first: re-insert to mark it used.
      cache.delete(sql);
    } else {
      const statement = db.prepare(sql);
      // A statement that yields columns is a reader (SELECT, or anything with RETURNING).
      entry = { statement, reader: statement.columns().length > 0 };
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    }
    cache.set(sql, entry);
    const { statement, reader } = entry;
    return {
      reader,
      all: (parameters: Params) => statement.all(...toSqlValues(parameters)) as unknown[],
      run: (parameters: Params) => statement.run(...toSqlValues(parameters)),
      iterate: (parameters: Params) => db.prepare(sql).iterate(...toSqlValues(parameters)) as Iterable<unknown>,
    };
  };
}

/**
 * `full` (the default): every commit is on disk before it returns; a power cut loses
 * nothing that was answered. `normal`: WAL commits reach the disk at checkpoints, so a
 * power cut (not a crash of the process) can lose the last commits, never consistency.
 * docs/PERFORMANCE.md, Durability.
 */
export type SqliteSynchronous = 'full' | 'normal';

export function openSqliteDatabase(file: string, synchronous: SqliteSynchronous = 'full'): DatabaseSync {
  if (file !== ':memory:') {
    // The database holds password hashes and the local mailbox: owner-only, like the
    // secret key. SQLite gives its -wal and -shm files the database file's mode.
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  }
  const db = new DatabaseSync(file, { timeout: 5000 });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.exec('PRAGMA foreign_keys = ON');
  return db;
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

/**
 * Kysely's SQLite dialect with our driver (group-commit.ts). Transactions take the write
 * lock when they begin (BEGIN IMMEDIATE): with a deferred BEGIN, a transaction that read
 * first and writes later fails outright when another process wrote in between; taking the
 * lock up front makes it wait its turn instead (busy timeout), which is what two processes
 * on one file need, migrations included.
 */
class GatehouseSqliteDialect extends SqliteDialect {
  readonly #driver: GroupCommitSqliteDriver;
  constructor(driver: GroupCommitSqliteDriver) {
    super({ database: {} as SqliteDialectConfig['database'] });
    this.#driver = driver;
  }
  override createDriver(): Driver {
    return this.#driver;
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

export interface SqliteDialectHandle {
  dialect: SqliteDialect;
  /** Turns group commit on; call after migrations. */
  enableGroupCommit(): void;
  durability: Durability;
}

/** See GroupCommitSqliteDriver.mark and .settled. */
export interface Durability {
  mark(): number;
  settled(mark: number): Promise<void> | undefined;
}

export function createSqliteDialect(db: DatabaseSync, observeCommit?: CommitObserver): SqliteDialectHandle {
  const driver = new GroupCommitSqliteDriver(db, statementCache(db), observeCommit);
  return {
    dialect: new GatehouseSqliteDialect(driver),
    enableGroupCommit: () => driver.enable(),
    durability: { mark: () => driver.mark(), settled: (mark) => driver.settled(mark) },
  };
}
