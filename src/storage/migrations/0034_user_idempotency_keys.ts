// Idempotency keys for the web app's creates (an invitation, a group, an API client): a
// console page whose answer was lost on the way back retries with the same key and gets the
// first answer again, instead of "that username is already used" for the user it made.
// The same ledger as the API clients' (0011), kept per signed-in user rather than per
// client: its primary key (user, key) lets only one of two concurrent duplicates run.
import type { Kysely } from 'kysely';

const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_idempotency_keys')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    /** SHA-256 of the route and the request body: the same key with another body is refused. */
    .addColumn('request_hash', 'text', (c) => c.notNull())
    /** Null while the first request is still running. */
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('user_idempotency_keys_pk', ['user_id', 'key'])
    .execute();
  await db.schema.createIndex('user_idempotency_keys_created').on('user_idempotency_keys').column('created_at').execute();
}
