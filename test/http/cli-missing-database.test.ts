// A CLI command run from the wrong folder, or without the server's variables, must not
// make a new empty database (and secret key) and report success on it: "No account
// requests yet" or a Sign Up link no server knows. Only serve and migrate make one.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { cleanEnv, runCli } from '../helpers/cli.ts';
import { createTestDatabase, enginesUnderTest } from '../helpers/databases.ts';
import { TEST_SECRET_KEY } from '../helpers/server.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-missing-'));
after(() => rmSync(work, { recursive: true, force: true }));
const base = { ...cleanEnv(), GATEHOUSE_LOG_LEVEL: 'warn', GATEHOUSE_DEMO_MODULE: 'off' };

function assertRefused(run: { code: number; stderr: string; stdout: string }, where: RegExp) {
  assert.equal(run.code, 1, `refused with exit 1 (got ${run.code}: ${run.stdout}${run.stderr})`);
  assert.match(run.stderr, where);
  assert.match(run.stderr, /GATEHOUSE_DATA_DIR/);
  assert.match(run.stderr, /GATEHOUSE_DATABASE_URL/);
  assert.equal(run.stdout, '', 'nothing reported as done');
}

for (const engine of await enginesUnderTest()) {
  if (engine === 'sqlite') {
    test('sqlite: with no database in the data folder, commands refuse and create nothing; after migrate they run', async () => {
      const dataDir = path.join(work, 'not-here', 'data');
      const env = { ...base, GATEHOUSE_DATA_DIR: dataDir };
      const file = path.join(dataDir, 'gatehouse.db');
      for (const args of [['requests', 'list', '--status', 'all'], ['operator', 'setup-link']]) {
        assertRefused(await runCli(args, env), new RegExp(`no database at ${file.replaceAll(/[\\/.]/g, '\\$&')}`));
      }
      assert.ok(!existsSync(path.join(work, 'not-here')), 'no folder, database or secret key was made');

      // The refusal is about the missing file, not the command: once made, it runs.
      assert.equal((await runCli(['migrate'], env)).code, 0);
      const listed = await runCli(['requests', 'list', '--status', 'all'], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(readdirSync(dataDir).filter((name) => !name.startsWith('gatehouse.db-')).sort(), ['gatehouse.db', 'secret.key']);
    });
  } else {
    test('postgres: a database without Gatehouse schema is refused and left empty; after migrate it runs', async () => {
      const database = await createTestDatabase('postgres');
      after(() => database.drop());
      const env = { ...base, GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY };
      assertRefused(await runCli(['requests', 'list', '--status', 'all'], env), /no Gatehouse schema in PostgreSQL/);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ count: string }>("select count(*) from information_schema.tables where table_schema = 'public'");
        assert.equal(rows[0]?.count, '0', 'no table was made');
      } finally {
        await client.end();
      }
      assert.equal((await runCli(['migrate'], env)).code, 0);
      const listed = await runCli(['requests', 'list', '--status', 'all'], env);
      assert.equal(listed.code, 0, listed.stderr);
    });
  }
}
