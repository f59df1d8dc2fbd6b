// When the user first became active: signed up through their link, or signed in by the
// company's identity provider (created there, or an invitation taken up). "Ever active"
// was read as "has a password or a completed login", and a user the provider made who
// stopped at Gatehouse's own 2FA enrollment has neither: deactivated and reactivated, they
// came back as an invitee nobody invited, and the compliance report listed them as one.
//
// The existing rows: everyone active now, or with a password or a completed login, was
// active once (their creation stands for the time); a deactivated user the provider made
// or took up has its `sso.user_provisioned` or `sso.user_updated` (naming `status`) event.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('activated_at', 'bigint').execute();
  await sql`
    update users set activated_at = created_at
    where status = 'active' or password_hash is not null or last_login_at is not null`.execute(db);
  await sql`
    update users set activated_at = (
      select min(audit_events.created_at) from audit_events
      where audit_events.company_id = users.company_id
        and audit_events.target = users.id
        and (audit_events.action = 'sso.user_provisioned'
          or (audit_events.action = 'sso.user_updated' and audit_events.detail like '%"status"%'))
    )
    where activated_at is null`.execute(db);
}
