// The provider's records once their time is up: tokens, codes, grants, sessions, sign-in
// marks and remembered proofs (oidc_records). The provider never finds an expired one (the
// adapter treats it as absent), so it is only clutter, but it is clutter that grows with
// every token: a client credentials token is a row, and nothing else removes it. They are
// deleted now and then by each node's housekeeping (backchannel/worker.ts), a bounded
// number of rows per statement, so that a large backlog (the first sweep after an upgrade)
// is worked off in short writes that let requests in between, never in one long one.
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Queryable } from '../../storage/index.ts';

/** Rows per DELETE: a few milliseconds of writing on SQLite. */
export const EXPIRED_RECORDS_PER_DELETE = 500;
/** A record stays this long past its expiry, so nothing at the edge of its time races its removal. */
export const EXPIRED_RECORD_GRACE_MS = 10 * 60_000;

/** Statements per sweep at most (100,000 rows): a larger backlog goes over the next sweeps. */
const DELETES_PER_SWEEP = 200;

/** Deletes the records expired before `now` (less the grace), in bounded statements. */
export async function sweepExpiredRecords(db: Queryable, now: number): Promise<void> {
  const before = now - EXPIRED_RECORD_GRACE_MS;
  for (let round = 0; round < DELETES_PER_SWEEP; round++) {
    // The oldest expired rows first, by the expiry index; (model, id) is the primary key.
    const batch = db
      .selectFrom('oidc_records')
      .select(['model', 'id'])
      .where('expires_at', '<', before)
      .orderBy('expires_at')
      .limit(EXPIRED_RECORDS_PER_DELETE);
    const result = await db
      .deleteFrom('oidc_records')
      .where(sql<boolean>`(${sql.ref('model')}, ${sql.ref('id')}) in (${batch})`)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) < EXPIRED_RECORDS_PER_DELETE) return;
    await yieldToRequests();
  }
}
