// What anyone may ask for a limited number of times in a window (mail a form sends, a
// public account request) is counted in a row per key. The mail caps used to look at
// recent mail and then send, so concurrent requests on PostgreSQL all saw none and all
// sent; a counter taken with one conditional upsert cannot be overtaken
// (src/storage/rate-caps.ts).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rate_caps')
    .addColumn('key_hash', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('used', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rate_caps_window_start').on('rate_caps').column('window_start').execute();
}
