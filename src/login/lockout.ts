// Password and TOTP attempts per user are reserved before they are checked: one
// conditional UPDATE takes a slot while fewer than MAX_FAILURES are used, so even 50
// parallel wrong guesses get at most MAX_FAILURES evaluations before the account locks.
import { sql } from 'kysely';
import type { Queryable } from '../storage/index.ts';

export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60_000;

/** Takes an attempt slot; false when the user is locked (or just ran out of slots). */
export async function reserveAttempt(db: Queryable, companyId: string, userId: string, now: number): Promise<number | null> {
  const row = await db
    .updateTable('users')
    .set({
      // A lock that has run out starts a fresh count.
      failed_logins: sql<number>`case when locked_until is not null and locked_until <= ${now} then 1 else failed_logins + 1 end`,
      locked_until: sql<number | null>`case when locked_until is not null and locked_until <= ${now} then null else locked_until end`,
    })
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .where((eb) =>
      eb.or([
        eb.and([eb('locked_until', 'is', null), eb('failed_logins', '<', MAX_FAILURES)]),
        eb('locked_until', '<=', now),
      ]),
    )
    .returning('failed_logins')
    .executeTakeFirst();
  return row ? row.failed_logins : null;
}

/** After a wrong password: lock once the slots are used up. */
export async function lockIfExhausted(db: Queryable, companyId: string, userId: string, used: number, now: number) {
  if (used < MAX_FAILURES) return false;
  await db
    .updateTable('users')
    .set({ locked_until: now + LOCK_MS })
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .where('locked_until', 'is', null)
    .execute();
  return true;
}

/**
 * A right password gives its slot back without clearing the count: only a finished
 * login (both factors) does, so restarting after wrong TOTP codes gains nothing.
 */
export async function releaseAttempt(db: Queryable, companyId: string, userId: string) {
  await db
    .updateTable('users')
    .set({ failed_logins: sql<number>`case when failed_logins > 0 then failed_logins - 1 else 0 end` })
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .execute();
}

export async function clearFailures(db: Queryable, companyId: string, userId: string) {
  await db
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: null })
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .execute();
}
