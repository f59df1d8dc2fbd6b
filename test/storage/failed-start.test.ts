// A start that fails part-way on PostgreSQL (here: another secret key, found once the pool
// has migrated and read the signing keys) closes its pool before the error reaches the
// caller. Left open, its idle connections stayed until the pool's idle timeout (30 s) or
// the process's end: a server retried in a loop by its supervisor piles them up, and
// dropping the database afterwards terminated them (57P01 in the test logs).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { createGatehouse } from '../../src/gatehouse.ts';
import { ADMIN_POSTGRES_URL, enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

// SQLite holds no connections: only PostgreSQL has something to leave open.
if ((await enginesUnderTest()).includes('postgres')) {
  test('postgres: a start refused after its pool opened leaves no connection of its own open', async () => {
    const server = await startTestServer({ engine: 'postgres', quietWorkers: true });
    after(() => server.close());
    // The failed start's connections carry a name of their own, so the count sees them and
    // neither the running server's nor the one counting.
    const applicationName = `gatehouse_failed_start_${process.pid}`;
    const url = new URL(server.database.url);
    url.searchParams.set('application_name', applicationName);
    const admin = new pg.Client({ connectionString: ADMIN_POSTGRES_URL });
    await admin.connect();
    after(() => admin.end());
    const connections = async () => {
      const { rows } = await admin.query<{ count: number }>('select count(*)::int as count from pg_stat_activity where application_name = $1', [applicationName]);
      return rows[0]!.count;
    };

    const config = loadConfig({
      GATEHOUSE_DATA_DIR: server.database.dataDir,
      GATEHOUSE_DATABASE_URL: url.toString(),
      GATEHOUSE_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
    });
    // The start's own error reaches the caller unchanged.
    await assert.rejects(
      createGatehouse(config, { logger: false, mailWorkerIntervalMs: null, backchannelWorkerIntervalMs: null }),
      /sealed with key [0-9a-f]{8}, not the secret key configured/,
    );
    // Bounded well under the pool's idle timeout (30 s), which would close them anyway.
    await until(async () => (await connections()) === 0, 'the failed start\'s connections to close', 10_000);
  });
}
