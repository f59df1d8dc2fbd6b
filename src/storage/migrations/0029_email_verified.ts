// When Gatehouse last saw the user's address reach them: a link mailed to it was used (the
// Sign Up link of the welcome mail or an invitation, an email change's confirm link, a
// password reset's link). Null: never, or the address changed since without such a link,
// as one named by the company's identity provider. Modules are told `email_verified`
// from it (src/modules/oidc/account.ts); it was `true` for everyone.
//
// The existing rows: a user of a customer company with an address and a password set it
// through a link mailed to that address (the Sign Up link, or a reset), unless the
// company's provider has replaced the address since (`sso.user_updated` naming `email`).
// Their creation stands for the time. Operators were given links printed on the server,
// never mailed, and users the provider created have no password: both stay null.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('email_verified_at', 'bigint').execute();
  await sql`
    update users set email_verified_at = created_at
    where email <> ''
      and password_hash is not null
      and company_id in (select id from companies where is_platform = 0)
      and not exists (
        select 1 from audit_events
        where audit_events.company_id = users.company_id
          and audit_events.target = users.id
          and audit_events.action = 'sso.user_updated'
          and audit_events.detail like '%"email"%'
      )`.execute(db);
}
