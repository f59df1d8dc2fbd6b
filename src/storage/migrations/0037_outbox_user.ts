// Whom a queued mail is for, when it is for one of a company's people (an invitation, a
// reset link, a security notice, a notice to the Masters): the mail worker sends it only
// while that person is still one of the company's people (not deleted, not deactivated,
// the company not suspended). Mail waits in the outbox (retried for about a day while a
// mail server defers it); a person removed meanwhile must not be mailed after all: an
// invitation sent to a wrong address and deleted at once, a former employee's mailbox.
// Rows queued before this migration name nobody and are sent as before.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('user_id', 'text').execute();
}
