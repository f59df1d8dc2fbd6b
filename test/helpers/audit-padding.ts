// A company's audit trail made large on purpose: 3,000 events of about 8 KiB (about 25 MB
// of CSV), far more than loopback socket buffers hold, so a download whose client stops
// reading cannot be finished by the server (the CSV download tests).
import type { TestServer } from './server.ts';

export const PADDED_EVENTS = 3_000;
const PAD = 'p'.repeat(8000);

export async function padAuditTrail(server: TestServer, companyId: string): Promise<void> {
  const { db } = server.gatehouse.deps;
  const now = Date.now();
  for (let start = 0; start < PADDED_EVENTS; start += 1000) {
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      company_id: companyId,
      actor_id: null,
      action: 'test.padding',
      target: String(start + i),
      detail: JSON.stringify({ pad: PAD }),
      created_at: now,
    }));
    await db.insertInto('audit_events').values(rows).execute();
  }
}
