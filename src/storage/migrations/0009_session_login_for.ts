// The place a login was made for: a module's sign-in that asked for a fresh login
// (prompt=login, max_age, another account's id_token_hint) is satisfied only by a login
// made for that very interaction, whatever the clock says.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('login_for', 'text').execute();
}
