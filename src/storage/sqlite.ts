// Kysely's SqliteDialect over Node's built-in node:sqlite (no native addon to build).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { SqliteDialect } from 'kysely';

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
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new DatabaseSync(file, { timeout: 5000 });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}

export function createSqliteDialect(db: DatabaseSync): SqliteDialect {
  return new SqliteDialect({
    database: {
      close: () => db.close(),
      prepare: (sql: string) => adapt(db.prepare(sql)),
    },
  });
}
