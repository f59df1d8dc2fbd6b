// A login's copies (a browser that submits twice, a client that retries) race on one flow.
// A copy refused only because its twin holds the attempt slot, or took the key's challenge,
// is not a guess and must not count against the flow: five such refusals ended the flow
// under the twin that was about to sign in, and nobody got in. The flow counts its
// requests in flight (src/login/attempts-in-flight.ts) so such a copy can be told apart.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('login_flows').addColumn('attempts_in_flight', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
