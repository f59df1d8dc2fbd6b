// A rate cap promised "at most N an hour" but counted a fixed window that reset wholesale:
// N uses at a window's end and N more at the next one's start all went through. Each
// counter now also keeps the uses of the bucket just before its current one
// (rate_caps.previous_used), and a use is taken only while the two hold fewer than the
// cap: at most N in any interval of the window's length (src/storage/rate-caps.ts).
//
// Existing counters start with none before their current bucket: what their old window
// was preceded by is not stored, so only an interval reaching back before a counter's
// window_start, within one window of the upgrade, can still hold more than the cap.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('rate_caps')
    .addColumn('previous_used', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
