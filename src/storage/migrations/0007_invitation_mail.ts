// Invitation emails sent, one row each, kept for a week: the rate limits per inviter and
// per company count them, and the operator sees each company's volume.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('invitation_mail')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id').onDelete('cascade'))
    .addColumn('inviter_id', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('invitation_mail_company').on('invitation_mail').columns(['company_id', 'sent_at']).execute();
  await db.schema.createIndex('invitation_mail_inviter').on('invitation_mail').columns(['company_id', 'inviter_id', 'sent_at']).execute();
}
