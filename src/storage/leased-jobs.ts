// Outbox tables (mail, back-channel logout notices) share one delivery discipline: a row
// is claimed with one conditional UPDATE that takes a lease, so several nodes can run
// workers on one database without delivering twice; a failure is retried with backoff
// until it fails for good, and stays visible with its last error.
import type { Kysely } from 'kysely';
import type { Database, Db } from './index.ts';
import type { JobColumns } from './schema.ts';

export type JobTable = { [T in keyof Database]: Database[T] extends JobColumns ? T : never }[keyof Database];

export interface Retry {
  maxAttempts: number;
  delayMs(attempts: number): number;
}

const LEASE_MS = 60_000;

/** The delivery columns of a new row: due now, never tried. */
export function pendingJob(now: number): Omit<JobColumns, 'id'> {
  return { status: 'pending', attempts: 0, next_attempt_at: now, locked_until: null, last_error: null, created_at: now, sent_at: null };
}

export function leasedJobs<T extends JobTable>(db: Db, table: T, clock: () => number, retry: Retry) {
  // Kysely cannot type one query over "any table with these columns"; the generic view
  // names the table `jobs` with just those columns (every caller's table has them).
  const jobs = db as unknown as Kysely<{ jobs: JobColumns }>;
  // Updates may also clear the table's own columns (a mail's payload), named by the caller.
  const writable = db as unknown as Kysely<{ jobs: JobColumns & Record<string, unknown> }>;
  const name = table as unknown as 'jobs';
  type Row = Database[T];

  return {
    /** Ids of pending rows whose time has come, oldest first. */
    async due(limit: number): Promise<string[]> {
      const rows = await jobs
        .selectFrom(name)
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', clock())
        .orderBy('created_at')
        .limit(limit)
        .execute();
      return rows.map((row) => row.id);
    },

    /** Takes the lease on one row and counts the attempt; undefined when someone else has it. */
    async claim(id: string): Promise<Row | undefined> {
      const now = clock();
      const claimed = await jobs
        .updateTable(name)
        .set((eb) => ({ locked_until: now + LEASE_MS, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
        .returningAll()
        .executeTakeFirst();
      return claimed as Row | undefined;
    },

    /** Delivered: `clear` empties columns that must not outlive delivery (a mail's payload). */
    async delivered(id: string, clear: Partial<Record<string, null>> = {}): Promise<void> {
      await writable
        .updateTable(name)
        .set({ ...clear, status: 'sent', sent_at: clock(), locked_until: null, last_error: null })
        .where('id', '=', id)
        .execute();
    },

    /** Not delivered: retried later, or failed for good after the last attempt (then `clearOnGiveUp`). */
    async notDelivered(job: JobColumns, error: unknown, clearOnGiveUp: Partial<Record<string, null>> = {}): Promise<void> {
      const failedForGood = job.attempts >= retry.maxAttempts;
      await writable
        .updateTable(name)
        .set({
          ...(failedForGood ? clearOnGiveUp : {}),
          status: failedForGood ? 'failed' : 'pending',
          next_attempt_at: clock() + retry.delayMs(job.attempts),
          locked_until: null,
          last_error: String(error instanceof Error ? error.message : error).slice(0, 500),
        })
        .where('id', '=', job.id)
        .execute();
    },
  };
}
