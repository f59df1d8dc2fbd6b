// Gatehouse reads PostgreSQL's bigints (counts, sums) as numbers, and only through its
// own pool: pg's global type table stays as pg ships it, so another user of pg in the
// same process (a library, a tool, a test's own client) still reads a bigint as a
// string. Test files share processes (scripts/run-tests.ts); a global change here broke
// a test in another file that counted tables with its own client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openStorage, type Storage } from '../../src/storage/index.ts';
import { createTestDatabase, enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';

if ((await enginesUnderTest()).includes('postgres')) describe("PostgreSQL's bigints", () => {
  let database: TestDatabase;
  let storage: Storage;
  before(async () => {
    database = await createTestDatabase('postgres');
    storage = await openStorage({ kind: 'postgres', url: database.url });
  });
  after(async () => {
    await storage.close();
    await database.drop();
  });

  test("are numbers through Gatehouse's pool, and strings through any other client in the process", async () => {
    const { rows } = await sql<{ n: unknown; big: unknown }>`select count(*) as n, 9007199254740993::bigint - 9007199254740000 as big`.execute(storage.db);
    assert.deepEqual(rows[0], { n: 1, big: 993 });

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const other = await client.query<{ n: unknown }>('select count(*) as n');
      assert.equal(other.rows[0]?.n, '1', "pg's own table is untouched");
    } finally {
      await client.end();
    }
  });
});
