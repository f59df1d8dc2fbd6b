// Outbox tables (mail, back-channel logout notices) share one delivery discipline: a row
// is claimed with one conditional UPDATE that takes a lease, so several nodes can run
// workers on one database without delivering twice; a failure is retried with backoff
// until it fails for good, and stays visible with its last error. The lease is the
// claim's `locked_until`: the worker holding it renews it while a delivery lasts (renew),
// and writes the outcome only while it still holds it, so a delivery that outlived its
// lease (a worker stalled, another one took the row) never overwrites the other's outcome:
// a late failure cannot put back to pending a message the other worker delivered.
import { sql, type Kysely } from 'kysely';
import type { Database, Db } from './index.ts';
import type { JobColumns } from './schema.ts';

export type JobTable = { [T in keyof Database]: Database[T] extends JobColumns ? T : never }[keyof Database];

export interface Retry {
  maxAttempts: number;
  delayMs(attempts: number): number;
}

export const LEASE_MS = 60_000;

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

    /**
     * Due rows shared fairly among the groups a `column` makes (the module a logout notice
     * is for): at most `perGroup` of each group, each group's oldest first, and every
     * group's first before any group's second, so a group with a backlog (retried old rows
     * that stay the oldest due) cannot fill the `limit` and keep the others waiting.
     * Groups in `except` (those this worker is still delivering to) are left out. A window
     * function, which SQLite and PostgreSQL both have; the claim stays the one guard
     * against two workers taking one row.
     */
    async dueByGroup(column: string & keyof Row, options: { perGroup: number; limit: number; except?: string[] }): Promise<{ id: string; group: string }[]> {
      const group = jobs.dynamic.ref<'id'>(column);
      const except = options.except ?? [];
      const ranked = jobs
        .selectFrom(name)
        .select((eb) => [
          'id',
          'created_at',
          sql.ref<string>(column).as('grp'),
          eb.fn.agg<number>('row_number').over((over) => over.partitionBy(group).orderBy('created_at').orderBy('id')).as('place'),
        ])
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', clock())
        .$if(except.length > 0, (query) => query.where(group, 'not in', except));
      const rows = await jobs
        .selectFrom(ranked.as('due'))
        .select(['due.id', 'due.grp'])
        .where('due.place', '<=', options.perGroup)
        .orderBy('due.place')
        .orderBy('due.created_at')
        .limit(options.limit)
        .execute();
      return rows.map((row) => ({ id: row.id, group: row.grp }));
    },

    /** Takes the lease on one due row and counts the attempt; undefined when someone else has it or it is not due (yet). */
    async claim(id: string): Promise<Row | undefined> {
      const now = clock();
      const claimed = await jobs
        .updateTable(name)
        .set((eb) => ({ locked_until: now + LEASE_MS, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        // Due now, checked again here: the list of due rows this worker read (due) may be
        // stale, and a row another worker has just put back with a backoff since is not
        // tried again before its time (N nodes would otherwise try it N times in a row).
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
        .returningAll()
        .executeTakeFirst();
      return claimed as Row | undefined;
    },

    /**
     * Extends the lease of a row this worker holds (`job`, as claimed or last renewed);
     * false when the lease was lost (it ran out and another worker took the row).
     */
    async renew(job: JobColumns): Promise<boolean> {
      const lease = clock() + LEASE_MS;
      const renewed = await jobs.updateTable(name).set({ locked_until: lease }).where('id', '=', job.id).where('locked_until', '=', job.locked_until).executeTakeFirst();
      if (Number(renewed.numUpdatedRows) !== 1) return false;
      job.locked_until = lease;
      return true;
    },

    /**
     * Runs a delivery while keeping this worker's lease on `job`, renewed every third of
     * its length, so a delivery slower than the lease (an SMTP server slow to answer) is
     * not taken and sent again by another worker meanwhile. Resolves once no renewal is in
     * flight: the outcome is then written under the lease as last renewed.
     */
    async whileHeld<R>(job: JobColumns, delivery: () => Promise<R>): Promise<R> {
      let renewing: Promise<unknown> = Promise.resolve();
      const renewal = setInterval(() => {
        renewing = renewing.then(() => this.renew(job)).catch(() => {});
      }, LEASE_MS / 3);
      renewal.unref();
      try {
        return await delivery();
      } finally {
        clearInterval(renewal);
        await renewing;
      }
    },

    /** Delivered: `clear` empties columns that must not outlive delivery (a mail's payload). Written only under this worker's lease. */
    async delivered(job: JobColumns, clear: Partial<Record<string, null>> = {}): Promise<void> {
      await writable
        .updateTable(name)
        .set({ ...clear, status: 'sent', sent_at: clock(), locked_until: null, last_error: null })
        .where('id', '=', job.id)
        .where('locked_until', '=', job.locked_until)
        .execute();
    },

    /**
     * Not delivered: retried later, or failed for good after the last attempt (then
     * `clearOnGiveUp`), or at once with `forGood`. Written only under this worker's lease.
     */
    async notDelivered(job: JobColumns, error: unknown, clearOnGiveUp: Partial<Record<string, null>> = {}, forGood = false): Promise<void> {
      const failedForGood = forGood || job.attempts >= retry.maxAttempts;
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
        .where('locked_until', '=', job.locked_until)
        .execute();
    },
  };
}
