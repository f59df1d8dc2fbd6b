// takeRateSlot (src/storage/rate-caps.ts) on SQLite and on PostgreSQL: a cap of `limit`
// uses per windowMs holds in ANY interval of windowMs, across its buckets' boundaries
// (safety), and a use is never refused while fewer than `limit` uses lie in the last
// 2 × windowMs (liveness: the longest a used-up cap makes anyone wait). On PostgreSQL,
// concurrent takes from two pools (two nodes) at one instant take exactly the cap.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { hashToken } from '../../src/crypto/index.ts';
import { openStorage, takeRateSlot, type RateCap, type Storage } from '../../src/storage/index.ts';
import { createTestDatabase, enginesUnderTest, storageSettingsOf, type TestDatabase } from '../helpers/databases.ts';

const T0 = Date.UTC(2026, 10, 29, 12);
const DAY = 24 * 3_600_000;
let keys = 0;
const freshKey = () => `rate-caps-test:${++keys}`;

/** The most of the uses `taken` (times, ascending) in any one interval [a, a + windowMs). */
function mostInAnyWindow(taken: number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (const [i, at] of taken.entries()) {
    while (at - (taken[first] ?? at) >= windowMs) first++;
    most = Math.max(most, i - first + 1);
  }
  return most;
}

for (const engine of await enginesUnderTest()) {
  describe(`rate caps (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    before(async () => {
      database = await createTestDatabase(engine, { migrated: true });
      storage = await openStorage(storageSettingsOf(database));
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    const takeAll = async (cap: RateCap, times: number[]) => {
      const answers: boolean[] = [];
      for (const now of times) answers.push(await takeRateSlot(storage.db, cap, now));
      return answers;
    };

    test('at a bucket boundary: 2 uses before it and 3 after are never 5 within 2 ms', async () => {
      const W = 3_600_000;
      const cap = { key: freshKey(), limit: 3, windowMs: W };
      const times = [T0, T0 + W - 2, T0 + W - 1, T0 + W, T0 + W, T0 + 2 * W - 1, T0 + 2 * W, T0 + 2 * W];
      assert.deepEqual(await takeAll(cap, times), [true, true, true, false, false, false, true, true]);
    });

    test('a used-up cap waits for the bucket after the full one to end: up to 2 windows', async () => {
      const W = 60_000;
      const cap = { key: freshKey(), limit: 2, windowMs: W };
      // Used up at once: the next use is 2 windows later, not 1.
      assert.deepEqual(await takeAll(cap, [T0, T0, T0, T0 + W, T0 + 2 * W - 1, T0 + 2 * W]), [true, true, false, false, false, true]);
      // A bucket not full leaves room in the next one: its uses count through the next bucket only.
      const spread = { key: freshKey(), limit: 2, windowMs: W };
      assert.deepEqual(await takeAll(spread, [T0, T0 + W, T0 + W + 1, T0 + 2 * W, T0 + 5 * W, T0 + 5 * W]), [true, true, false, true, true, true]);
    });

    test('random use times: never more than the cap in any window, never refused with room in the last 2 windows', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 1, max: 1_000 }),
          // Gaps between uses, from none (same instant) to past 2 windows; scaled by W below.
          fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_500 }), fc.integer({ min: 0, max: 400 })), { minLength: 1, maxLength: 40 }),
          async (limit, windowMs, gaps) => {
            const cap = { key: freshKey(), limit, windowMs };
            let now = T0;
            const times = gaps.map((gap) => (now += Math.floor((gap * windowMs) / 1_000)));
            const answers = await takeAll(cap, times);
            const taken: number[] = [];
            times.forEach((at, i) => {
              const recent = taken.filter((t) => t > at - 2 * windowMs).length;
              if (recent < limit) assert.equal(answers[i], true, `use ${i} at +${at - T0} refused with ${recent} of ${limit} in the last 2 windows`);
              if (answers[i]) taken.push(at);
            });
            assert.ok(mostInAnyWindow(taken, windowMs) <= limit, `more than ${limit} uses in a window of ${windowMs} ms: ${taken.map((t) => t - T0).join(', ')}`);
          },
        ),
        { numRuns: engine === 'postgres' ? 60 : 150 },
      );
    });

    test('a counter is kept while it counts (2 windows of a day) and swept after', async () => {
      const cap = { key: freshKey(), limit: 1, windowMs: DAY };
      const row = () => storage.db.selectFrom('rate_caps').select('used').where('key_hash', '=', hashToken(cap.key)).executeTakeFirst();
      const start = T0 + 100 * DAY;
      assert.equal(await takeRateSlot(storage.db, cap, start), true);
      // Another key's take sweeps (the first of this minute): the counter still counts.
      assert.equal(await takeRateSlot(storage.db, { key: freshKey(), limit: 1, windowMs: DAY }, start + 2 * DAY - 1), true);
      assert.notEqual(await row(), undefined);
      assert.equal(await takeRateSlot(storage.db, cap, start + 2 * DAY - 1), false, 'the use of the day before still counts');
      assert.equal(await takeRateSlot(storage.db, { key: freshKey(), limit: 1, windowMs: DAY }, start + 2 * DAY + 60_000), true);
      assert.equal(await row(), undefined, 'swept once it counts no more');
    });

    test('a window longer than a day is refused: its counter would be swept while it counts', async () => {
      await assert.rejects(takeRateSlot(storage.db, { key: freshKey(), limit: 1, windowMs: DAY + 1 }, T0), /at most/);
    });

    if (engine === 'postgres') {
      test('concurrent takes at one instant, from two nodes, take exactly the cap', async () => {
        const second = await openStorage(storageSettingsOf(database));
        try {
          const W = 600_000;
          const fresh = { key: freshKey(), limit: 7, windowMs: W };
          const atOnce = (cap: RateCap, now: number) =>
            Promise.all(Array.from({ length: 40 }, (_, i) => takeRateSlot(i % 2 ? second.db : storage.db, cap, now)));
          // No row yet: the inserts race as well as the updates.
          assert.equal((await atOnce(fresh, T0)).filter(Boolean).length, 7);
          assert.equal((await atOnce(fresh, T0 + 1)).filter(Boolean).length, 0);
          // Across a roll: 3 uses in the bucket before leave 4.
          const rolled = { key: freshKey(), limit: 7, windowMs: W };
          assert.deepEqual(await takeAll(rolled, [T0, T0, T0]), [true, true, true]);
          assert.equal((await atOnce(rolled, T0 + W + 5)).filter(Boolean).length, 4);
          // Inside transactions, each committing: the same.
          const inTx = { key: freshKey(), limit: 5, windowMs: W };
          const answers = await Promise.all(
            Array.from({ length: 30 }, (_, i) => (i % 2 ? second.db : storage.db).transaction().execute((tx) => takeRateSlot(tx, inTx, T0))),
          );
          assert.equal(answers.filter(Boolean).length, 5);
        } finally {
          await second.close();
        }
      });
    }
  });
}
