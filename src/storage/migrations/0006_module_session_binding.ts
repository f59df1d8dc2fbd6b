// Module access lives and dies with the Gatehouse session it came from: each provider
// grant remembers that session, and every end of access queues an OpenID Connect
// back-channel logout notice in a durable outbox that a worker delivers with retries.
import type { Kysely } from 'kysely';

const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('module_grant_sessions')
    .addColumn('grant_id', 'text', (c) => c.primaryKey())
    .addColumn('session_hash', 'text', (c) => c.notNull())
    .addColumn('company_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    /** The sid the module saw in its ID token; the logout notice names it. */
    .addColumn('sid', 'text')
    .addColumn('provider_session_uid', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('module_grant_sessions_session').on('module_grant_sessions').column('session_hash').execute();
  await db.schema
    .createIndex('module_grant_sessions_user')
    .on('module_grant_sessions')
    .columns(['company_id', 'user_id'])
    .execute();
  await db.schema
    .createIndex('module_grant_sessions_client')
    .on('module_grant_sessions')
    .columns(['company_id', 'client_id'])
    .execute();

  await db.schema
    .createTable('backchannel_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('sid', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', bigint, (c) => c.notNull())
    .addColumn('locked_until', bigint)
    .addColumn('last_error', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('sent_at', bigint)
    .execute();
  await db.schema.createIndex('backchannel_outbox_due').on('backchannel_outbox').columns(['status', 'next_attempt_at']).execute();
}
