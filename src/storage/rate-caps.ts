// A cap on how often something may happen per key in a window: the reset mails a user can
// be sent, the account requests a client address may file. Taking a slot is one
// statement, an upsert of the key's counter that only counts when the window is over or
// there is room, and answers whether it counted; concurrent requests, on any node, can
// never take more slots than the cap holds. A look at what was done recently followed by
// the work (as the mail caps did first) let PostgreSQL's concurrent requests all see
// nothing and all go ahead; a row lock would work too, but the counter holds nothing while
// the rest of the request runs, and is the same statement on both databases.
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
  /** Uses allowed in a window. */
  limit: number;
  /** At most a day (longer windows would be swept early). */
  windowMs: number;
}

const LONGEST_WINDOW_MS = 24 * 3_600_000;

/** Counts one use against the cap if there is room (true), atomically; false when the cap is reached. */
export async function takeRateSlot(tx: Queryable, cap: RateCap, now: number): Promise<boolean> {
  const windowOver = sql<boolean>`rate_caps.window_start <= ${now - cap.windowMs}`;
  const taken = await tx
    .insertInto('rate_caps')
    .values({ key_hash: hashToken(cap.key), window_start: now, used: 1 })
    .onConflict((oc) =>
      oc
        .column('key_hash')
        .doUpdateSet({
          used: sql<number>`case when ${windowOver} then 1 else rate_caps.used + 1 end`,
          window_start: sql<number>`case when ${windowOver} then ${now} else rate_caps.window_start end`,
        })
        .where((eb) => eb.or([windowOver, eb('rate_caps.used', '<', cap.limit)])),
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

// Counters whose window is over are only clutter: swept on the way, once a minute per process.
const sweepDue = sweepPacer();
async function sweepSpentCaps(tx: Queryable, now: number) {
  if (sweepDue(now)) await tx.deleteFrom('rate_caps').where('window_start', '<', now - LONGEST_WINDOW_MS).execute();
}
