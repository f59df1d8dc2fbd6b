// The API client that sent (or last resent) a pending invitation, beside `invited_by`, the
// Master who did: an invitation stands only while its sender still may invite
// (src/users/signup.ts, inviterStillStands), and a client deleted, expired or left without
// a holder who may hold its secret may not.
//
// The invitations pending now: the client named by the latest `user.invited` or
// `user.invite_resent` event about the user, where a client sent it and no Master is on
// record as the inviter.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('invited_by_client', 'text').execute();
  await sql`
    update users set invited_by_client = (
      select audit_events.actor_client_id from audit_events
      where audit_events.company_id = users.company_id
        and audit_events.target = users.id
        and audit_events.action in ('user.invited', 'user.invite_resent')
      order by audit_events.id desc
      limit 1
    )
    where status = 'invited' and invited_by is null`.execute(db);
}
