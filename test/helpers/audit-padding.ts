// A company's audit trail made large on purpose, a thousand rows a statement. By default
// 3,000 events of about 8 KiB (about 25 MB of CSV), far more than loopback socket buffers
// hold, so a download whose client stops reading cannot be finished by the server (the CSV
// download tests); or as many small events as asked, dated as asked (a backlog of old
// events for the retention tests).
import type { TestServer } from './server.ts';

export const PADDED_EVENTS = 3_000;
const PAD = 'p'.repeat(8000);
const ROWS_PER_INSERT = 1000;

export interface Padding {
  /** How many events (default PADDED_EVENTS). */
  events?: number;
  /** When the events happened (default: now, by the wall clock). */
  at?: number;
  /** Each event's action (default `test.padding`). */
  action?: string;
  /** Without the 8 KiB detail: small rows, for a trail long rather than heavy. */
  small?: boolean;
}

export async function padAuditTrail(server: TestServer, companyId: string, padding: Padding = {}): Promise<void> {
  const { db } = server.gatehouse.deps;
  const { events = PADDED_EVENTS, at = Date.now(), action = 'test.padding', small = false } = padding;
  for (let start = 0; start < events; start += ROWS_PER_INSERT) {
    const rows = Array.from({ length: Math.min(ROWS_PER_INSERT, events - start) }, (_, i) => ({
      company_id: companyId,
      actor_id: null,
      action,
      target: String(start + i),
      detail: small ? null : JSON.stringify({ pad: PAD }),
      created_at: at,
    }));
    await db.insertInto('audit_events').values(rows).execute();
  }
}
