// Mail that anyone can make Gatehouse send (a reset link, the list of one's companies, an
// email change's confirmation) is capped per recipient in a window. The cap used to be a
// look at recent mail followed by the insert, so concurrent requests on PostgreSQL all
// saw none and all sent; a counter row per key, taken with one conditional upsert, cannot
// be overtaken (src/mail/send-caps.ts).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mail_caps')
    .addColumn('key_hash', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('sent', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mail_caps_window_start').on('mail_caps').column('window_start').execute();
}
