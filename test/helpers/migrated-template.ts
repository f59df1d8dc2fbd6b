// One migrated database per schema, copied for each test server instead of migrating
// afresh: a SQLite file, and a PostgreSQL database used as CREATE DATABASE's template.
// Named by a hash of the storage code (the migrations and how a connection is opened), so a
// changed migration builds a new one. Test files run in several processes at once: SQLite's
// template is built under a temporary name and renamed into place (the rename is atomic;
// two builders both leave a good file); PostgreSQL's under an advisory lock, then renamed.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStorage } from '../../src/storage/index.ts';

const STORAGE_DIR = path.resolve(import.meta.dirname, '../../src/storage');
/** Any number, the same in every test process: the advisory lock that builds the template. */
const TEMPLATE_LOCK = 4_711_042;

/** A digest of every storage source file but the tests: what decides the schema a new database gets. */
function schemaDigest(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) hash.update(entry.name).update(readFileSync(full));
    }
  };
  walk(STORAGE_DIR);
  return hash.digest('hex').slice(0, 16);
}

let sqlite: Promise<string> | undefined;
let postgres: Promise<string> | undefined;

/** The path of a SQLite file with every migration applied, its log folded in: copy it, never open it. */
export function sqliteTemplate(): Promise<string> {
  sqlite ??= (async () => {
    const file = path.join(os.tmpdir(), `gatehouse-test-template-${schemaDigest()}.db`);
    if (existsSync(file)) return file;
    const building = `${file}.${process.pid}.building`;
    const storage = await openStorage({ kind: 'sqlite', file: building });
    await storage.close();
    // Closing the last connection folds the log into the file and removes it: the file alone is the database.
    if (existsSync(`${building}-wal`)) throw new Error(`the template's log was not folded into ${building}`);
    renameSync(building, file);
    return file;
  })();
  return sqlite;
}

/** The name of a PostgreSQL database with every migration applied, on the server of `adminUrl`. */
export function postgresTemplate(adminUrl: string): Promise<string> {
  postgres ??= (async () => {
    const name = `gh_test_template_${schemaDigest()}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const exists = async () => (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
    try {
      if (await exists()) return name;
      await admin.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK]);
      try {
        if (await exists()) return name;
        const building = `${name}_building`;
        await admin.query(`drop database if exists ${building} with (force)`);
        await admin.query(`create database ${building}`);
        const url = new URL(adminUrl);
        url.pathname = `/${building}`;
        const storage = await openStorage({ kind: 'postgres', url: url.toString() });
        await storage.close();
        // Waits (up to 5 s) for the closed connections' server processes to leave.
        await admin.query(`alter database ${building} rename to ${name}`);
        return name;
      } finally {
        await admin.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
      }
    } finally {
      await admin.end();
    }
  })();
  return postgres;
}
