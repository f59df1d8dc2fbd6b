// Sessions by their expiry: the clean-up pass deletes the ones past it (src/users/
// session-sweep.ts) a thousand at a time, oldest first, without reading the whole table.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
}
