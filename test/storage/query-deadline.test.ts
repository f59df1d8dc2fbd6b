// Guards the deadline every PostgreSQL statement carries (src/storage/query-deadline.ts,
// postgres.ts): a statement that gets no answer in time fails as an outage (503), its
// connection is closed and never handed back to the pool still busy with it (the very
// next statement must not draw it), a transaction it was part of is rolled back, and
// migrations run without one. The deadline is shortened here (withQueryDeadline, the same
// scoping readiness uses) so that a slow statement is a pg_sleep of a second.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { isDatabaseUnavailable, openStorage, type Storage } from '../../src/storage/index.ts';
import { withQueryDeadline } from '../../src/storage/query-deadline.ts';
import { createTestDatabase, enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { until } from '../helpers/until.ts';

const SHORT_MS = 300;

if ((await enginesUnderTest()).includes('postgres')) describe('a PostgreSQL statement past its deadline', () => {
  let database: TestDatabase;
  let storage: Storage;
  const failures: string[] = [];
  const lost: string[] = [];
  before(async () => {
    database = await createTestDatabase('postgres');
    storage = await openStorage({ kind: 'postgres', url: database.url }, { onConnectionFailure: (kind) => failures.push(kind) });
    storage.reportConnectionLoss((loss) => lost.push(loss.message));
  });
  after(async () => {
    await storage.close();
    await database.drop();
  });

  test('fails as an outage in time, and the next statement does not draw its connection', async () => {
    const started = Date.now();
    const error = await withQueryDeadline(SHORT_MS, () => sql`select pg_sleep(1)`.execute(storage.db)).then(
      () => undefined,
      (failed: unknown) => failed,
    );
    assert.ok(isDatabaseUnavailable(error), `answered as an outage: ${String(error)}`);
    assert.ok(Date.now() - started < 900, `gave up after ${Date.now() - started} ms`);
    // At once, on the same turn the pool got its client back: not "Connection terminated".
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(storage.db);
    assert.equal(rows[0]?.one, 1);
    assert.deepEqual(failures, ['timeout']);
    assert.deepEqual(lost, ['Query read timeout']);
  });

  test('a transaction it was part of is rolled back', async () => {
    const error = await withQueryDeadline(SHORT_MS, () =>
      storage.db.transaction().execute(async (tx) => {
        await tx.insertInto('settings').values({ key: 'deadline-probe', value: 'kept?' }).execute();
        await sql`select pg_sleep(1)`.execute(tx);
      }),
    ).then(
      () => undefined,
      (failed: unknown) => failed,
    );
    assert.ok(isDatabaseUnavailable(error), `answered as an outage: ${String(error)}`);
    // The server rolls it back once it sees the connection closed (here: when its sleep ends).
    await until(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and query like '%pg_sleep%' and pid <> pg_backend_pid()`.execute(storage.db);
      return rows[0]?.n === 0;
    }, 'the abandoned statement to end');
    const row = await storage.db.selectFrom('settings').select('value').where('key', '=', 'deadline-probe').executeTakeFirst();
    assert.equal(row, undefined);
  });

  test('none binds a scope given 0 (migrations run so)', async () => {
    await withQueryDeadline(SHORT_MS, () => withQueryDeadline(0, () => sql`select pg_sleep(0.6)`.execute(storage.db)));
  });
});
