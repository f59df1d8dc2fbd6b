// An API client may ask for a 2FA reset; a person still approves it. The approval names
// its requester as a user or as an API client (exactly one), and an API client remembers
// who last set its secret: that person holds the client's power, so they may not approve
// what the client asked for (else one Master could reset 2FA alone, through a client).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;

  await db.schema.alterTable('api_clients').addColumn('secret_holder', 'text').execute();
  await sql`update api_clients set secret_holder = created_by`.execute(db);

  if (isPostgres) {
    await sql`alter table approvals alter column requested_by drop not null`.execute(db);
    await db.schema.alterTable('approvals').addColumn('requested_by_client_id', 'text').execute();
  } else {
    // SQLite cannot drop a NOT NULL in place: the table is rebuilt with its rows.
    await db.schema
      .createTable('approvals_next')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_user_id', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', bigint)
      .addColumn('created_at', bigint, (c) => c.notNull())
      .addColumn('requested_by_client_id', 'text')
      .addCheckConstraint('approvals_one_requester', sql`(requested_by is null) <> (requested_by_client_id is null)`)
      .execute();
    await sql`insert into approvals_next (id, company_id, action, target_user_id, requested_by, status, decided_by, decided_at, created_at)
      select id, company_id, action, target_user_id, requested_by, status, decided_by, decided_at, created_at from approvals`.execute(db);
    await db.schema.dropTable('approvals').execute();
    await db.schema.alterTable('approvals_next').renameTo('approvals').execute();
    await db.schema
      .createIndex('approvals_one_pending')
      .on('approvals')
      .columns(['company_id', 'action', 'target_user_id'])
      .unique()
      .where(sql.ref('status'), '=', 'pending')
      .execute();
  }
  // Exactly one requester: a person or an API client (SQLite's rebuilt table has it already).
  if (isPostgres) {
    await sql`alter table approvals add constraint approvals_one_requester check ((requested_by is null) <> (requested_by_client_id is null))`.execute(db);
  }
}
