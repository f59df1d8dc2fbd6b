// A passkey or security key switched off (WebAuthn §6.1.1): set when one of its answers
// showed a copy of it in use (its counter went backwards, login/key-copy.ts). A key
// switched off signs no one in, the original no more than a copy, and counts as no key for
// a policy that requires one; its owner sees it so in My Settings, removes it and adds it
// again. Nothing sets it back to null: a key once copied stays off. Null: in use.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webauthn_credentials').addColumn('switched_off_at', 'bigint').execute();
}
