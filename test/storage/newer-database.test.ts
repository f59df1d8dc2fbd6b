// A database a newer release has migrated: this release refuses it, at the CLI and at the
// server's start, with exit status 1 and the words of docs/OPERATIONS.md (Upgrading), not
// Kysely's "corrupted migrations", which reads as damage.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/index.ts';
import { cleanEnv, runCli } from '../helpers/cli.ts';
import { createTestDatabase, enginesUnderTest, storageSettingsOf, type TestDatabase } from '../helpers/databases.ts';
import { freePort } from '../helpers/net.ts';
import { MAIN, runUntilExit } from '../helpers/node-exit.ts';
import { TEST_SECRET_KEY } from '../helpers/server.ts';

/** Past any migration this release could hold. */
const FUTURE = '9999_from_a_newer_release';
const REFUSAL = `This database was migrated by a newer release of Gatehouse (migration ${FUTURE}); roll forward, or restore a backup`;

for (const engine of await enginesUnderTest()) {
  describe(`a database migrated by a newer release (${engine})`, () => {
    let database: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      database = await createTestDatabase(engine);
      const storage: Storage = await openStorage(storageSettingsOf(database));
      await sql`insert into kysely_migration (name, timestamp) values (${FUTURE}, ${'2030-01-01T00:00:00.000Z'})`.execute(storage.db);
      await storage.close();
      env = { GATEHOUSE_DATA_DIR: database.dataDir, GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_LOG_LEVEL: 'warn' };
    });
    after(() => database?.drop());

    test('opening it is refused in those words', async () => {
      await assert.rejects(openStorage(storageSettingsOf(database)), { message: REFUSAL });
      const storage = await openStorage(storageSettingsOf(database), { migrate: false });
      try {
        await assert.rejects(migrateToLatest(storage.db as never), { message: REFUSAL });
      } finally {
        await storage.close();
      }
    });

    for (const args of [['migrate'], ['requests', 'list']]) {
      test(`gatehouse ${args.join(' ')} exits 1 with the refusal`, async () => {
        const run = await runCli(args, { ...cleanEnv(), ...env });
        assert.equal(run.code, 1, run.stderr);
        assert.ok(run.stderr.includes(REFUSAL), run.stderr);
        assert.doesNotMatch(run.stderr, /corrupted/);
      });
    }

    for (const workers of ['1', '2']) {
      test(`the server (GATEHOUSE_WORKERS=${workers}) does not start: exit 1 with the refusal`, async () => {
        const ended = await runUntilExit([MAIN], { ...env, PORT: String(await freePort()), GATEHOUSE_WORKERS: workers });
        assert.deepEqual({ code: ended.code, signal: ended.signal }, { code: 1, signal: null }, ended.output);
        assert.ok(ended.output.includes(`Gatehouse could not start: ${REFUSAL}`), ended.output);
      });
    }
  });
}
