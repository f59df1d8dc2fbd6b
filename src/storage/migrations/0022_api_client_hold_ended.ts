// A client whose secret holder was demoted, deactivated or deleted is stopped "until a
// Master rotates the secret" (docs/API.md), but the rule was a live condition only: making
// the holder a Master again, or reactivating them, brought the old secret back. The end of
// a hold is now recorded when it happens (api_clients.hold_ended_at, set by endSecretHolds
// in src/api-clients/store.ts) and cleared only by a rotation.
//
// Clients stopped when this migration runs are marked as ended now: their holder may not
// hold the secret at this moment, so the secret stays stopped, as the console already says.
// A holder demoted and promoted again before the upgrade cannot be told apart from one who
// never was, and keeps the secret.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_clients').addColumn('hold_ended_at', 'bigint').execute();
  await sql`
    update api_clients set hold_ended_at = ${Date.now()}
    where deleted_at is null
      and secret_holder is not null
      and secret_holder <> 'cli'
      and not exists (
        select 1 from users holder
        join companies holder_company on holder_company.id = holder.company_id
        where holder.id = api_clients.secret_holder
          and holder.status = 'active'
          and holder.role in ('master', 'root_master')
          and (holder_company.is_platform = 1 or holder.company_id = api_clients.company_id)
      )`.execute(db);
}
