// `gatehouse migrate` prints where the data lives, and its output ends up in CI and deploy
// logs: never the database password, also where node-postgres takes it from a query
// setting (postgres://user@host/db?password=...), a form hosting providers hand out.
// Every spelling is checked on describeDatabaseLocation (src/storage/location.test.ts).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createTestDatabase, enginesUnderTest, type TestDatabase } from '../../test/helpers/databases.ts';

const CLI = fileURLToPath(new URL('./index.ts', import.meta.url));
const SECRET = 'Sup3r-Secret-DB-Passw0rd';

function gatehouse(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

if ((await enginesUnderTest()).includes('postgres')) {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('postgres');
  });
  after(async () => database?.drop());

  test('migrate never prints the database password, whichever way the URL carries it', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GATEHOUSE_|PORT$|HOST$)/.test(key)));
    const url = new URL(database.url);
    // The local server trusts loopback, so the password is accepted and ignored.
    url.searchParams.set('password', SECRET);
    const run = await gatehouse(['migrate'], {
      ...env,
      GATEHOUSE_DATABASE_URL: url.toString(),
      GATEHOUSE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      GATEHOUSE_DATA_DIR: database.dataDir,
      GATEHOUSE_LOG_LEVEL: 'warn',
    });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(
      run.stdout + run.stderr,
      new RegExp(SECRET),
      `an operator running "gatehouse migrate" (e.g. in CI or a deploy log) sees the database password printed:\n${run.stdout}`,
    );
  });
}
