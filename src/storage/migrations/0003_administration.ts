// Company administration: per-company security policy, invitations and other purposes
// for emailed links, recovery codes, approvals that need a second Master, and the
// account on every provider record (so a user's tokens can be ended at once).
import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  type Build = (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
  const addColumns = async (table: string, columns: Array<[string, 'text' | 'integer' | typeof bigint, Build?]>) => {
    for (const [name, type, build] of columns) {
      await db.schema.alterTable(table).addColumn(name, type, build ?? ((c) => c)).execute();
    }
  };

  await addColumns('companies', [
    ['password_min_length', 'integer', (c) => c.notNull().defaultTo(8)],
    // JSON array of required classes: "lower", "upper", "digit", "symbol".
    ['password_classes', 'text', (c) => c.notNull().defaultTo('["lower","upper","digit","symbol"]')],
    ['lockout_threshold', 'integer', (c) => c.notNull().defaultTo(5)],
    ['lockout_minutes', 'integer', (c) => c.notNull().defaultTo(15)],
    ['session_absolute_minutes', 'integer', (c) => c.notNull().defaultTo(720)],
    ['session_idle_minutes', 'integer', (c) => c.notNull().defaultTo(30)],
    // JSON array of CIDR ranges; empty means logins from anywhere.
    ['ip_allowlist', 'text', (c) => c.notNull().defaultTo('[]')],
    ['two_person_2fa_reset', 'integer', (c) => c.notNull().defaultTo(0)],
  ]);

  await addColumns('users', [
    ['invited_by', 'text'],
    ['last_login_at', bigint],
  ]);

  // A link may carry data for its purpose (the new address of an email change).
  await addColumns('action_links', [['data', 'text']]);
  await addColumns('oidc_records', [['account_id', 'text']]);
  await db.schema.createIndex('oidc_records_account').on('oidc_records').column('account_id').execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', bigint)
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('recovery_codes_user').on('recovery_codes').columns(['company_id', 'user_id']).execute();

  await db.schema
    .createTable('approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_user_id', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', bigint)
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
  // One open request per action and user.
  await db.schema
    .createIndex('approvals_one_pending')
    .on('approvals')
    .columns(['company_id', 'action', 'target_user_id'])
    .unique()
    .where(sql.ref('status'), '=', 'pending')
    .execute();

  // Deleting a user removes their sessions, links and flows; the audit trail stays
  // (audit rows keep the ids as plain text, with no foreign key).
  if (isPostgres) {
    for (const [table, constraint] of [['sessions', 'sessions_user_id_fkey'], ['action_links', 'action_links_user_id_fkey']]) {
      await sql.raw(`alter table ${table} drop constraint if exists ${constraint}`).execute(db);
      await sql.raw(`alter table ${table} add constraint ${constraint} foreign key (user_id) references users(id) on delete cascade`).execute(db);
    }
  }
}
