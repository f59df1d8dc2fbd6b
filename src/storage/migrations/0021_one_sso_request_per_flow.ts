// A login flow keeps one request to its company's provider at most. "Continue" used to
// forget the flow's earlier requests and then store its new one, two statements apart, so
// Continues racing for one flow each stored theirs, all of them pending. The pair (company,
// flow) is now unique and the request is stored over the earlier one in one upsert
// (src/sso/requests.ts). A Master's Test sign-in has no flow (NULL), and NULLs never clash.
//
// Before the index: where a flow holds several requests already, the latest (by
// created_at, then id) is kept and the others deleted, as the next Continue would have.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    delete from sso_requests
    where flow_hash is not null
      and exists (
        select 1 from sso_requests later
        where later.company_id = sso_requests.company_id
          and later.flow_hash = sso_requests.flow_hash
          and (later.created_at > sso_requests.created_at or (later.created_at = sso_requests.created_at and later.id > sso_requests.id))
      )
  `.execute(db);
  await db.schema.createIndex('sso_requests_one_per_flow').on('sso_requests').columns(['company_id', 'flow_hash']).unique().execute();
}
