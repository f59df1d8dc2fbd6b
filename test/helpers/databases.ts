// Test databases: a fresh SQLite file, or a fresh PostgreSQL database created on the
// server named by GATEHOUSE_TEST_POSTGRES_URL (default: the local server's `test` db).
// A test server's database starts migrated, copied from a template migrated once per
// schema (migrated-template.ts): running the migrations was a third of a server's start.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { openStorage, type DatabaseSettings, type Storage } from '../../src/storage/index.ts';
import { postgresTemplate, sqliteTemplate } from './migrated-template.ts';

export type Engine = 'sqlite' | 'postgres';

export const ADMIN_POSTGRES_URL = process.env.GATEHOUSE_TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';

export interface TestDatabase {
  engine: Engine;
  /** Value for GATEHOUSE_DATABASE_URL. */
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

let postgresReachable: Promise<boolean> | undefined;
export function isPostgresReachable(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: ADMIN_POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresReachable;
}

/** Engines this run covers: both, unless PostgreSQL is unreachable outside CI. */
export async function enginesUnderTest(): Promise<Engine[]> {
  if (await isPostgresReachable()) return ['sqlite', 'postgres'];
  if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${ADMIN_POSTGRES_URL}; CI must test both engines.`);
  console.warn(`# PostgreSQL not reachable at ${ADMIN_POSTGRES_URL}: this run covers SQLite only (set GATEHOUSE_TEST_POSTGRES_URL).`);
  return ['sqlite'];
}

/** What openStorage takes to open `database` (src/storage/index.ts). */
export function storageSettingsOf(database: Pick<TestDatabase, 'engine' | 'url'>): DatabaseSettings {
  return database.engine === 'sqlite' ? { kind: 'sqlite', file: database.url.slice('sqlite:'.length) } : { kind: 'postgres', url: database.url };
}

/**
 * Storage on a fresh database of `engine` for the suite this is called in: opened (and
 * migrated) before its tests, closed and the database dropped after them. `.storage` is
 * read inside a test or a hook.
 */
export function storageForSuite(engine: Engine): { readonly storage: Storage } {
  let database: TestDatabase | undefined;
  let storage: Storage | undefined;
  before(async () => {
    database = await createTestDatabase(engine);
    storage = await openStorage(storageSettingsOf(database));
  });
  after(async () => {
    await storage?.close();
    await database?.drop();
  });
  return {
    get storage() {
      if (!storage) throw new Error("the suite's storage opens in its before hook: read it inside a test or a hook");
      return storage;
    },
  };
}

/**
 * A fresh database: empty, or with `migrated` every migration applied already (a copy of
 * the schema's template, as opening it would leave it). Tests of the migrations themselves
 * take an empty one.
 */
export async function createTestDatabase(engine: Engine, { migrated = false }: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-'));
  if (engine === 'sqlite') {
    const file = path.join(dataDir, 'gatehouse.db');
    if (migrated) copyFileSync(await sqliteTemplate(), file);
    return {
      engine,
      url: `sqlite:${file}`,
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `gh_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const template = migrated ? ` template ${await postgresTemplate(ADMIN_POSTGRES_URL)}` : '';
  const admin = new pg.Client({ connectionString: ADMIN_POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}${template}`);
  await admin.end();
  const url = new URL(ADMIN_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    engine,
    url: url.toString(),
    dataDir,
    drop: async () => {
      const client = new pg.Client({ connectionString: ADMIN_POSTGRES_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
