// The names of deleted users, for the audit trail: an event names its actor by the users
// row, which a deletion takes away, and only some events also wrote the actor's name into
// their detail. A Master who deletes a rogue Master must still read who changed the policy
// and who signed in (docs/API.md: "the audit trail keeps their name"). One row per deleted
// user, written in the deletion's transaction (src/users/lifecycle.ts); the retention sweep
// drops it once every event it can name is gone (src/audit/retention.ts).
//
// The existing rows: every `user.deleted` event names its user (target) and carries the
// username in its detail.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('former_users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint', (c) => c.notNull())
    .execute();
  const { rows } = await sql<{ target: string | null; company_id: string | null; detail: string | null; created_at: number | string }>`
    select target, company_id, detail, created_at from audit_events where action = 'user.deleted'`.execute(db);
  for (const row of rows) {
    const username = usernameIn(row.detail);
    if (!row.target || !row.company_id || !username) continue;
    await sql`
      insert into former_users (id, company_id, username, deleted_at)
      values (${row.target}, ${row.company_id}, ${username}, ${Number(row.created_at)})
      on conflict (id) do nothing`.execute(db);
  }
}

function usernameIn(detail: string | null): string | undefined {
  try {
    const parsed: unknown = detail ? JSON.parse(detail) : undefined;
    const name = parsed && typeof parsed === 'object' ? (parsed as { username?: unknown }).username : undefined;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}
