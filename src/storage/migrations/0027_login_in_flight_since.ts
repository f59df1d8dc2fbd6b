// A flow's count of requests in flight (migration 0026) only means "in flight" while it is
// recent: a request that died between its counting write and its answer (a killed
// process) left the count raised, and its flow told every later refused copy "try again"
// until it expired. `in_flight_since` is when the count last started from nothing; a count
// older than IN_FLIGHT_STALE_MS (src/login/flows.ts) is read as none and started over by
// the next counting write (src/login/attempts-in-flight.ts). 0 on a row written before:
// such a count is stale at once.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('login_flows').addColumn('in_flight_since', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
}
