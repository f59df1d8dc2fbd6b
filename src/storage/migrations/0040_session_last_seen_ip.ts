// The address a browser session was last used from, beside the one it was signed in from
// (sessions.ip). A session list that shows only the sign-in's address makes a copied
// cookie, used from elsewhere, look like the owner's own browser. Stored when the session
// is touched (src/sessions/index.ts); null until then, and for sessions older than this
// migration: the list shows the sign-in's address for both.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('last_seen_ip', 'text').execute();
}
