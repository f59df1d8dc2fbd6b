// A right password no longer writes after its hash (issue 8: four writes per login).
// Before the hash, the login's password step holds an attempt slot for a short while
// instead of counting a failure it must take back afterwards: the user's row counts the
// holds of the current time window and of the one before (src/login/attempt-holds.ts). A
// flow stored by such a step records the window of its hold, so the same login gives its
// own hold back and does not count it against its own code.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('hold_window', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('holds_now', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('users').addColumn('holds_before', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('login_flows').addColumn('slot_hold_window', 'bigint').execute();
}
