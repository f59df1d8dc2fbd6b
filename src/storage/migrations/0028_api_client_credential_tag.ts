// Every /api/v1 request checks that its token was obtained with the client's current
// secret, and counts the request, in one conditional UPDATE (src/api-clients/usage.ts,
// useApiClient). The token carries a tag derived from the stored secret hash, which SQL
// cannot derive on SQLite; so the tag is stored beside the hash, written wherever the hash
// is (src/api-clients/store.ts), and the UPDATE compares it. It was a read of the hash,
// the tag compared in code, then the UPDATE: two round trips on every request.
//
// The existing rows get the tag of their hash here. The derivation is copied as it is
// when this is written, not imported: a migration must do the same thing whatever the
// application's code becomes. Its tokens in flight keep working, their tag being this one.
//
// Until the backfill writes it, and for any row written without it, the column holds ''
// (its default), which no token's tag equals: such a client is refused, never let in.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';

const tagOf = (secretHash: string) => createHash('sha256').update(`gatehouse:api-credential:${secretHash}`).digest('base64url').slice(0, 22);

type Clients = Kysely<{ api_clients: { id: string; secret_hash: string; credential_tag: string } }>;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_clients').addColumn('credential_tag', 'text', (c) => c.notNull().defaultTo('')).execute();
  const clients = db as unknown as Clients;
  // A deployment has tens of clients, not thousands: one update each.
  const rows = await clients.selectFrom('api_clients').select(['id', 'secret_hash']).execute();
  for (const row of rows) await clients.updateTable('api_clients').set({ credential_tag: tagOf(row.secret_hash) }).where('id', '=', row.id).execute();
}
