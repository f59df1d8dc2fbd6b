// Two transactions that collide on PostgreSQL (a deadlock, a serialization failure) both
// commit: the one PostgreSQL rolls back is run again by db.transaction() itself, a bounded
// number of times. Real conflicts on a real server, forced into the same order each run
// by latches between the two transactions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { isDatabaseUnavailable, isTransactionConflict, openStorage, TRANSACTION_ATTEMPTS, type Storage } from '../../src/storage/index.ts';
import { createTestDatabase, enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';

/** A one-shot signal one transaction waits on and the other fires. */
function latch() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

if ((await enginesUnderTest()).includes('postgres')) describe('transactions PostgreSQL rolls back on purpose', () => {
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

  async function setting(key: string) {
    const row = await storage.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  }

  test('a deadlock: both transactions commit, the victim on its second run', async () => {
    await storage.db.insertInto('settings').values([{ key: 'a', value: '0' }, { key: 'b', value: '0' }]).execute();
    const runs = { first: 0, second: 0 };
    const firstHoldsA = latch();
    const secondHoldsB = latch();
    // first: a then b; second: b then a. Each waits, on its first run only, until the
    // other holds its first row, so both then wait on each other: a deadlock, every time.
    const first = storage.db.transaction().execute(async (tx) => {
      runs.first += 1;
      await tx.updateTable('settings').set({ value: 'first' }).where('key', '=', 'a').execute();
      if (runs.first === 1) {
        firstHoldsA.open();
        await secondHoldsB.opened;
      }
      await tx.updateTable('settings').set({ value: 'first' }).where('key', '=', 'b').execute();
    });
    const second = storage.db.transaction().execute(async (tx) => {
      runs.second += 1;
      await tx.updateTable('settings').set({ value: 'second' }).where('key', '=', 'b').execute();
      if (runs.second === 1) {
        secondHoldsB.open();
        await firstHoldsA.opened;
      }
      await tx.updateTable('settings').set({ value: 'second' }).where('key', '=', 'a').execute();
    });
    await Promise.all([first, second]);
    assert.equal(runs.first + runs.second, 3, 'one of the two ran again, once');
    const rerun = runs.first === 2 ? 'first' : 'second';
    assert.deepEqual([await setting('a'), await setting('b')], [rerun, rerun], 'the rerun came last and wrote both rows');
  });

  test('a serialization failure: both serializable transactions commit, each seeing the other', async () => {
    // Write skew: each reads the count, then inserts a row named after it. Under
    // SERIALIZABLE one of the two fails (40001) and, run again, sees the other's row.
    // A rerun started while the survivor has not yet committed would overlap it again and
    // could be rolled back a second time (PostgreSQL's check is conservative), so a rerun
    // first waits for the other's outcome, unless the other is itself running again.
    const runs = { first: 0, second: 0 };
    const firstRead = latch();
    const secondRead = latch();
    const settled = { first: latch(), second: latch() };
    const other = { first: 'second', second: 'first' } as const;
    const oneOf = (name: 'first' | 'second', mine: ReturnType<typeof latch>, theirs: ReturnType<typeof latch>) =>
      storage.db
        .transaction()
        .setIsolationLevel('serializable')
        .execute(async (tx) => {
          runs[name] += 1;
          if (runs[name] > 1 && runs[other[name]] === 1) await settled[other[name]].opened;
          const { count } = await tx
            .selectFrom('settings')
            .select((eb) => eb.fn.countAll<string>().as('count'))
            .where('key', 'like', 'skew:%')
            .executeTakeFirstOrThrow();
          if (runs[name] === 1) {
            mine.open();
            await theirs.opened;
          }
          await tx.insertInto('settings').values({ key: `skew:${name}`, value: String(count) }).execute();
        });
    const outcome = (name: 'first' | 'second', run: Promise<void>) => run.finally(() => settled[name].open());
    await Promise.all([
      outcome('first', oneOf('first', firstRead, secondRead)),
      outcome('second', oneOf('second', secondRead, firstRead)),
    ]);
    assert.equal(runs.first + runs.second, 3, 'one of the two ran again, once');
    const seen = [await setting('skew:first'), await setting('skew:second')].map(Number).sort();
    assert.deepEqual(seen, [0, 1], 'the rerun saw the row the other committed: no write skew');
  });

  test('a conflict that does not clear gives up after a bounded number of runs, as a 503-class error', async () => {
    for (const sqlstate of ['serialization_failure', 'deadlock_detected']) {
      let runs = 0;
      const started = Date.now();
      const outcome = await storage.db
        .transaction()
        .execute(async (tx) => {
          runs += 1;
          await sql`do $$ begin raise exception 'conflict' using errcode = ${sql.raw(`'${sqlstate}'`)}; end $$`.execute(tx);
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.equal(runs, TRANSACTION_ATTEMPTS, `${sqlstate}: ran exactly the bounded number of times`);
      assert.ok(isTransactionConflict(outcome), `${sqlstate}: the last conflict is what the caller sees`);
      assert.ok(Date.now() - started < 2000, `${sqlstate}: the pauses between runs are short`);
      assert.ok(!isDatabaseUnavailable(outcome), `${sqlstate}: not mistaken for an outage`);
    }
  });

  test('other failures are never run again', async () => {
    for (const sqlstate of ['unique_violation', 'check_violation', 'lock_not_available', 'raise_exception']) {
      let runs = 0;
      await assert.rejects(
        storage.db.transaction().execute(async (tx) => {
          runs += 1;
          await sql`do $$ begin raise exception 'no' using errcode = ${sql.raw(`'${sqlstate}'`)}; end $$`.execute(tx);
        }),
      );
      assert.equal(runs, 1, `${sqlstate}: one run only`);
    }
    let runs = 0;
    const refused = new Error('refused by the callback');
    await assert.rejects(
      storage.db.transaction().execute(async () => {
        runs += 1;
        throw refused;
      }),
      refused,
    );
    assert.equal(runs, 1, "the callback's own error: one run only");
  });
});
