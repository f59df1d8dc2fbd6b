// Idempotency keys for the one public create, the account request: a browser whose answer
// was lost (a train going into a tunnel) sends the same request again with its key and is
// told "request sent", not that the company name is taken by the request it just made. No
// one is signed in to keep the keys for, so they are kept per form; the key is random
// (the web app's, one per submission), so one person's key is no one else's.
import type { Kysely } from 'kysely';

const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('public_idempotency_keys')
    .addColumn('form', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    /** A keyed digest of the route and the request body: the same key with another body is refused. */
    .addColumn('request_hash', 'text', (c) => c.notNull())
    /** Null while the first request is still running. */
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('public_idempotency_keys_pk', ['form', 'key'])
    .execute();
  await db.schema.createIndex('public_idempotency_keys_created').on('public_idempotency_keys').column('created_at').execute();
}
