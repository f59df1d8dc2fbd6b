// The trail's retention (GATEHOUSE_AUDIT_RETENTION_DAYS; unset: it keeps everything). Each
// node's housekeeping (src/modules/backchannel/worker.ts) deletes the events from before
// the start (UTC) of the day that many days ago, at most once an hour per process. The
// cutoff moves a day at a time, so every process of every node sweeping that day deletes
// the same rows: the first takes them, the others find none, and only a sweep that deleted
// something records `audit.retention_swept`. Batches of a thousand rows, each its own
// statement, keep a first sweep over years of events from holding a long lock or one huge
// transaction; a backlog larger than one sweep's share goes over the next sweeps.
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { sweepPacer } from '../storage/sweep-pacer.ts';
import type { Queryable } from '../storage/index.ts';
import { recordAudit } from './record.ts';

const DAY_MS = 86_400_000;
/** Rows per DELETE: a few milliseconds of writing on SQLite. */
export const AUDIT_EVENTS_PER_DELETE = 1000;
/** Statements per sweep at most (a million events). */
const DELETES_PER_SWEEP = 1000;
const SWEEP_EVERY_MS = 3_600_000;

/** The oldest moment kept at `now`: the start of the day `retentionDays` ago (UTC). */
function auditCutoff(now: number, retentionDays: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - retentionDays * DAY_MS;
}

/**
 * The housekeeping step for this process: when due (hourly), deletes the events past the
 * retention and records how many went. Without a retention it never touches the trail.
 */
export function auditRetention(db: Queryable, retentionDays: number | undefined): (now: number) => Promise<void> {
  if (retentionDays === undefined) return async () => {};
  const due = sweepPacer(SWEEP_EVERY_MS);
  return async (now) => {
    if (due(now)) await sweepOldEvents(db, now, retentionDays);
  };
}

async function sweepOldEvents(db: Queryable, now: number, retentionDays: number): Promise<void> {
  const before = auditCutoff(now, retentionDays);
  let deleted = 0;
  try {
    for (let round = 0; round < DELETES_PER_SWEEP; round++) {
      // The oldest first, by the created_at index (migration 0024).
      const batch = db.selectFrom('audit_events').select('id').where('created_at', '<', before).orderBy('created_at').limit(AUDIT_EVENTS_PER_DELETE);
      const result = await db.deleteFrom('audit_events').where('id', 'in', batch).executeTakeFirst();
      deleted += Number(result.numDeletedRows);
      if (Number(result.numDeletedRows) < AUDIT_EVENTS_PER_DELETE) return;
      await yieldToRequests();
    }
  } finally {
    // Also when a later batch failed: the rows already gone are accounted for.
    if (deleted > 0) {
      await recordAudit(db, now, {
        companyId: null,
        actorId: null,
        action: 'audit.retention_swept',
        detail: { deleted, before: new Date(before).toISOString(), retentionDays },
      });
    }
  }
}
