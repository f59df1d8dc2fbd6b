// The role a queued mail was addressed to its person for, when it was (a company notice
// to the Masters): the mail worker sends it only while they still hold that role. A
// Master made a User while a notice of the company's security changes waits in the
// outbox (retried for about a day while a mail server defers it) must not read it after
// all. Null: mail for the person as themselves (their reset link, their own security
// notice), sent while they are one of the company's people (migration 0037). Rows queued
// before this migration name no role and are sent as before.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('for_role', 'text').execute();
}
