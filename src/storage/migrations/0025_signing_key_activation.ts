// A rotated-in signing key is published at once but signs only from `activates_at`, after
// every node's key check has published it and verifiers' cached key sets have expired
// (KEY_ACTIVATION_DELAY_MS, src/modules/signing-keys.ts); before, a node could sign with a
// key another node did not publish yet. Keys from before this migration have signed since
// they were created.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signing_keys').addColumn('activates_at', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update signing_keys set activates_at = created_at`.execute(db);
}
