// When the user last proved it is them on this session (password and a second factor, or
// a key) for a sensitive change (POST /api/me/reauth). Null: not since the login, which
// was itself a proof at the session's created_at. A session is "recently proved" for
// FRESH_PROOF_MS after whichever is later (src/sessions/index.ts).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('proved_at', 'bigint').execute();
}
