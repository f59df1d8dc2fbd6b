// `gatehouse migrate` prints where the data lives, and its output ends up in CI and deploy
// logs: never the database password, also where node-postgres takes it from a query
// setting (postgres://user@host/db?password=...), a form hosting providers hand out.
// Every spelling is checked on describeDatabaseLocation (src/storage/location.test.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanEnv, runCli } from '../../test/helpers/cli.ts';
import { createTestDatabase, enginesUnderTest, type TestDatabase } from '../../test/helpers/databases.ts';

const SECRET = 'Sup3r-Secret-DB-Passw0rd';

if ((await enginesUnderTest()).includes('postgres')) {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('postgres');
  });
  after(async () => database?.drop());

  test('migrate never prints the database password, whichever way the URL carries it', async () => {
    const env = cleanEnv();
    const url = new URL(database.url);
    // The local server trusts loopback, so the password is accepted and ignored.
    url.searchParams.set('password', SECRET);
    const run = await runCli(['migrate'], {
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
