// The audit trail's retention (src/audit/retention.ts) deletes the oldest events by
// `created_at < cutoff`, a thousand at a time. The one index with created_at leads with
// company_id (a company's trail by time), so without this one each batch would scan the
// table. Building it reads the whole trail once, at the upgrade; an operator with a large
// trail may build it beforehand under the same name (CREATE INDEX CONCURRENTLY on
// PostgreSQL: docs/OPERATIONS.md), which this then keeps.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('audit_events_created').ifNotExists().on('audit_events').column('created_at').execute();
}
