// The trail's retention (GATEHOUSE_AUDIT_RETENTION_DAYS; unset: it keeps everything). Each
// node's back-channel worker (src/modules/backchannel/worker.ts) deletes the events from
// before the start (UTC) of the day that many days ago. The cutoff moves a day at a time,
// so every process of every node sweeping that day deletes the same rows: the first takes
// them, the others find none, and only a sweep that deleted something records
// `audit.retention_swept`.
//
// The worker's passes also deliver back-channel logouts, which must not wait behind a
// backlog (a retention first set over years of events): each pass deletes a small share
// (ten statements of a thousand rows, yielding between them, since a DELETE on SQLite holds
// the process) after its deliveries, and a sweep goes on over the next passes until it
// finds nothing more. A sweep begins at most once an hour and lasts an hour at most: a
// backlog longer than that is recorded hour by hour (`caughtUp: false`), each hour's sweep
// taking over from the last at once.
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { sweepPacer } from '../storage/sweep-pacer.ts';
import type { Queryable } from '../storage/index.ts';
import { recordAudit } from './record.ts';

const DAY_MS = 86_400_000;
/** Rows per DELETE: a few milliseconds of writing on SQLite. */
export const AUDIT_EVENTS_PER_DELETE = 1000;
/** Statements per worker pass at most: what a pass's share of a backlog may hold up. */
const DELETES_PER_PASS = 10;
export const AUDIT_EVENTS_PER_PASS = AUDIT_EVENTS_PER_DELETE * DELETES_PER_PASS;
/** How often a sweep may begin, and how long one may run before it records its progress. */
const SWEEP_EVERY_MS = 3_600_000;

/** The oldest moment kept at `now`: the start of the day `retentionDays` ago (UTC). */
function auditCutoff(now: number, retentionDays: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - retentionDays * DAY_MS;
}

interface Sweep {
  startedAt: number;
  before: number;
  deleted: number;
}

export interface AuditRetention {
  /** One pass's share: begins a sweep when one is due, goes on with the current one. */
  step(now: number): Promise<void>;
  /** Records the sweep under way (the process is stopping), so what it deleted is accounted for. */
  stop(now: number): Promise<void>;
}

/** This process's retention; without a retention set it never touches the trail. */
export function auditRetention(db: Queryable, retentionDays: number | undefined): AuditRetention {
  if (retentionDays === undefined) return { step: async () => {}, stop: async () => {} };
  const due = sweepPacer(SWEEP_EVERY_MS);
  let sweep: Sweep | undefined;

  /** Ends the current sweep, recording it if it deleted anything. */
  async function end(now: number, caughtUp: boolean): Promise<void> {
    const ended = sweep;
    sweep = undefined;
    if (!ended || ended.deleted === 0) return;
    await recordAudit(db, now, {
      companyId: null,
      actorId: null,
      action: 'audit.retention_swept',
      detail: { deleted: ended.deleted, before: new Date(ended.before).toISOString(), retentionDays, caughtUp },
    });
  }

  return {
    async step(now) {
      // A clock set back counts as an hour gone, as the pacer counts it.
      if (sweep && (now < sweep.startedAt || now - sweep.startedAt >= SWEEP_EVERY_MS)) await end(now, false);
      if (!sweep && due(now)) sweep = { startedAt: now, before: auditCutoff(now, retentionDays), deleted: 0 };
      if (!sweep) return;
      let caughtUp: boolean;
      try {
        caughtUp = await deleteShare(db, sweep);
      } catch (error) {
        // The rows already gone are accounted for; the next sweep, when due, goes on.
        await end(now, false);
        throw error;
      }
      if (caughtUp) {
        // A deleted user's name is kept for the events that name them as their actor, all
        // from before their deletion: once the cutoff passes it, none is left to name.
        await db.deleteFrom('former_users').where('deleted_at', '<', sweep.before).execute();
        await end(now, true);
      }
    },
    stop: (now) => end(now, false),
  };
}

/** Deletes up to one pass's share of the sweep's rows; true once none are left. */
async function deleteShare(db: Queryable, sweep: Sweep): Promise<boolean> {
  for (let round = 0; round < DELETES_PER_PASS; round++) {
    if (round > 0) await yieldToRequests();
    // The oldest first, by the created_at index (migration 0024).
    const batch = db.selectFrom('audit_events').select('id').where('created_at', '<', sweep.before).orderBy('created_at').limit(AUDIT_EVENTS_PER_DELETE);
    const result = await db.deleteFrom('audit_events').where('id', 'in', batch).executeTakeFirst();
    const deleted = Number(result.numDeletedRows);
    sweep.deleted += deleted;
    if (deleted < AUDIT_EVENTS_PER_DELETE) return true;
  }
  return false;
}
