// API clients: machine credentials an MSP's tooling uses against /api/v1, a company's own
// or the platform's (company_id null). The secret is a keyed hash, as for modules. Rows
// are deleted softly, so the audit trail can still name a client after it is gone, and
// each request's rate-limit window lives on the row (one atomic UPDATE per request).
// The audit trail gains the API client as an actor.
import type { Kysely } from 'kysely';

const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().unique())
    .addColumn('company_id', 'text', (c) => c.references('companies.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    /** JSON array of scope names. */
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('expires_at', bigint)
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('last_used_at', bigint)
    .addColumn('deleted_at', bigint)
    .addColumn('window_start', bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('window_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('api_clients_company').on('api_clients').column('company_id').execute();

  await db.schema.alterTable('audit_events').addColumn('actor_client_id', 'text').execute();
  await db.schema.createIndex('audit_events_actor_client').on('audit_events').column('actor_client_id').execute();
}
