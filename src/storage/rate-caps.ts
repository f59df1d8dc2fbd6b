// A cap on how often something may happen per key: at most `limit` uses in ANY interval of
// `windowMs` (the reset mails a user can be sent, the account requests a client address may
// file). A fixed window that resets wholesale let `limit` uses at its end and `limit` more
// at the next one's start, twice the cap within a moment. The row keeps contiguous buckets
// of windowMs: the current one's start and count, and the count of the bucket just before
// it. Any interval of windowMs overlaps at most two consecutive buckets, so a use is taken
// only while the two together hold fewer than `limit`. The price: once a cap is used up,
// the wait for the next use can be up to 2 × windowMs (the uses of the previous bucket
// count until the current one ends).
//
// Taking a slot is one statement, an upsert of the key's counter that rolls the buckets
// and only counts when there is room, and answers whether it counted; concurrent
// requests, on any node, can never take more slots than the cap holds (PostgreSQL
// re-checks the conflict update's condition on the row's latest version, under its lock).
// A look at what was done recently followed by the work (as the mail caps did first) let
// PostgreSQL's concurrent requests all see nothing and all go ahead; a row lock would work
// too, but the counter holds nothing while the rest of the request runs, and is the same
// statement on both databases.
//
// Two ways to take one, and the choice is about what a refusal tells:
// - takeRateSlot inside the transaction that does the work: a slot is given back if the
//   work rolls back. Right for the mail caps, whose answer is the same whatever happened
//   (the slot only stops the mail), so giving it back tells no one anything.
// - spendRateSlot, committed on its own before the work: no refusal after it, and no
//   rollback, gives it back. Required for a cap on a public form whose refusals answer
//   something (the account request form's "name taken" says a company exists): were a
//   refused request's slot given back, refusals would be free and the cap would stop
//   everything but probing. Refusals that tell nothing (the form's own field checks) are
//   made before the slot is taken, so they never cost one.
import { sql } from 'kysely';
import { hashToken } from '../crypto/index.ts';
import type { Queryable } from './index.ts';
import { sweepPacer } from './sweep-pacer.ts';

export interface RateCap {
  /** What is counted (a user, an address); stored only as its SHA-256. */
  key: string;
  /** Uses allowed in any interval of windowMs. */
  limit: number;
  /** At most a day (a row counts for 2 × windowMs; longer windows would be swept early). */
  windowMs: number;
}

const LONGEST_WINDOW_MS = 24 * 3_600_000;

/**
 * A counter row's buckets moved on to `now`, for the SET (and the condition) of the one
 * statement that counts a use: the bucket `now` falls in is the row's (a clock set back
 * stays in it too), the next one (the row's becomes the previous), or one further on
 * (nothing before it counts). Every expression reads the row as it was before the
 * statement. The rate caps here, an API client's rate limit (api-clients/usage.ts) and the
 * per-address password throttle (login/ip-throttle.ts) keep their counts this way.
 */
export function rolledBuckets(table: string, columns: { start: string; count: string; previous: string }, now: number, windowMs: number) {
  const [start, count, previous] = [columns.start, columns.count, columns.previous].map((column) => sql.ref(`${table}.${column}`));
  const sameBucket = sql<boolean>`${start} > ${now - windowMs}`;
  const nextBucket = sql<boolean>`${start} > ${now - 2 * windowMs}`;
  return {
    start: sql<number>`case when ${sameBucket} then ${start} when ${nextBucket} then ${start} + ${windowMs} else ${now} end`,
    /** The uses the previous bucket holds once moved on. */
    previous: sql<number>`case when ${sameBucket} then ${previous} when ${nextBucket} then ${count} else 0 end`,
    /** The uses the current bucket holds once moved on, before this one. */
    current: sql<number>`case when ${sameBucket} then ${count} else 0 end`,
  };
}

/**
 * Counts one use against the cap if there is room (true), atomically; false when `limit`
 * uses already lie in the current bucket and the one before it (no use is counted then).
 */
export async function takeRateSlot(tx: Queryable, cap: RateCap, now: number): Promise<boolean> {
  if (cap.windowMs > LONGEST_WINDOW_MS) throw new Error(`a rate cap's window is at most ${LONGEST_WINDOW_MS} ms`);
  const buckets = rolledBuckets('rate_caps', { start: 'window_start', count: 'used', previous: 'previous_used' }, now, cap.windowMs);
  const taken = await tx
    .insertInto('rate_caps')
    .values({ key_hash: hashToken(cap.key), window_start: now, used: 1, previous_used: 0 })
    .onConflict((oc) =>
      oc
        .column('key_hash')
        .doUpdateSet({ window_start: buckets.start, previous_used: buckets.previous, used: sql<number>`${buckets.current} + 1` })
        .where(sql<boolean>`${buckets.previous} + ${buckets.current} < ${cap.limit}`),
    )
    .returning('key_hash')
    .executeTakeFirst();
  await sweepSpentCaps(tx, now);
  return taken !== undefined;
}

/**
 * takeRateSlot, spent for good: one statement of its own, committed before the caller goes
 * on, so the slot counts whatever the request answers after it (a refusal included). Never
 * inside a transaction, where a rollback would give it back: that throws.
 */
export async function spendRateSlot(db: Queryable, cap: RateCap, now: number): Promise<boolean> {
  if (db.isTransaction) throw new Error('spendRateSlot is committed on its own: call it outside any transaction');
  return takeRateSlot(db, cap, now);
}

// A row counts until its bucket and the next one are over (2 × windowMs, at most two days
// after its window_start); past that it is only clutter: swept on the way, once a minute
// per process.
const sweepDue = sweepPacer();
async function sweepSpentCaps(tx: Queryable, now: number) {
  if (sweepDue(now)) await tx.deleteFrom('rate_caps').where('window_start', '<=', now - 2 * LONGEST_WINDOW_MS).execute();
}
