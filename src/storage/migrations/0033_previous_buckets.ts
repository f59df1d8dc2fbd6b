// Two counts promised a limit in any interval but counted a window started by the first
// use and reset wholesale, so the limit's worth at a window's end and as much again at the
// next one's start all went through: an API client's requests ("N a minute") and a client
// network's refused password steps (30 in 15 minutes). Each now also keeps the count of
// the bucket just before its current one, as the rate caps do since 0032, and is judged by
// the two together (src/api-clients/usage.ts, src/login/ip-throttle.ts).
//
// Existing counts start with none before their current bucket: only an interval reaching
// back before a count's window_start, within one window of the upgrade, can hold more.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('api_clients')
    .addColumn('window_previous_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('login_throttle')
    .addColumn('previous_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
