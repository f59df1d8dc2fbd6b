// How many times the account has locked since its last completed login (or a Master's
// unlock). Each lock lasts twice the one before, up to a day (src/login/lockout.ts): a
// lock that ran out gave whoever holds the password the threshold's number of fresh
// guesses at the code every lock period, without end. Existing users start at 0.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('lock_streak', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
