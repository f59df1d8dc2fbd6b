// Idempotency keys for the API's creates: a client that retries a POST with the same
// Idempotency-Key gets the first answer again instead of a second invitation or request.
// The primary key (client, key) is what makes two concurrent duplicates impossible: only
// one insert wins, on every node.
import type { Kysely } from 'kysely';

const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('api_client_id', 'text', (c) => c.notNull().references('api_clients.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    /** SHA-256 of the route and the request body: the same key with another body is refused. */
    .addColumn('request_hash', 'text', (c) => c.notNull())
    /** Null while the first request is still running. */
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['api_client_id', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created_at').execute();
}
