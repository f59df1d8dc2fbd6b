// Browser sessions are rows, one per login, and nothing else removed them: a session is
// deleted when it is next used past its limits, or when someone ends it, so every session
// whose browser never came back (closed, cleared, thrown away) stayed for good, and a user
// could hold any number at once. The node's clean-up pass (the back-channel worker's, every
// ten minutes) now:
// - deletes the sessions past the expiry stored at their login, a bounded share a pass,
//   oldest first (a session past it is over by every rule: sessions/index.ts absoluteEnd);
//   nothing else ends with them (their module tokens stopped with them, their grants
//   expire and their bindings are swept by the same pass);
// - ends each user's sessions beyond the newest SESSIONS_PER_USER, as a Master ending them
//   would: their module tokens end, the modules are told, and each is `session.ended` in
//   the trail with reason `session_limit`. Between passes a user may hold a few more (the
//   logins a second factor allows in ten minutes); the total is what a pass leaves.
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { recordAudit } from '../audit/index.ts';
import type { Db } from '../storage/index.ts';
import { endSessionsAccess } from './access.ts';
import { lockUser } from './store.ts';

/** Live sessions a user keeps at most: every browser and device they use, many times over. */
export const SESSIONS_PER_USER = 100;
/** Rows per DELETE of expired sessions: a few milliseconds of writing on SQLite. */
const EXPIRED_PER_DELETE = 1000;
/** DELETEs per pass at most: a backlog (years of sessions before this sweep) takes several passes. */
const DELETES_PER_PASS = 10;
/** Users brought back to the total per pass at most. */
const USERS_PER_PASS = 100;

/** One clean-up pass's share of the sessions: the expired ones, then the users over the total. */
export async function sweepSessions(db: Db, now: number): Promise<void> {
  await deleteExpiredSessions(db, now);
  await endSessionsOverTotal(db, now);
}

async function deleteExpiredSessions(db: Db, now: number): Promise<void> {
  for (let round = 0; round < DELETES_PER_PASS; round++) {
    if (round > 0) await yieldToRequests();
    // By the expiry index (migration 0043), so a pass reads only what it deletes.
    const batch = db.selectFrom('sessions').select('id_hash').where('expires_at', '<=', now).orderBy('expires_at').limit(EXPIRED_PER_DELETE);
    const result = await db.deleteFrom('sessions').where('id_hash', 'in', batch).executeTakeFirst();
    if (Number(result.numDeletedRows) < EXPIRED_PER_DELETE) return;
  }
}

async function endSessionsOverTotal(db: Db, now: number): Promise<void> {
  // By the (company_id, user_id) index, live sessions only once the expired are gone.
  const users = await db
    .selectFrom('sessions')
    .select(['company_id', 'user_id'])
    .where('expires_at', '>', now)
    .groupBy(['company_id', 'user_id'])
    .having((eb) => eb.fn.countAll(), '>', SESSIONS_PER_USER)
    .limit(USERS_PER_PASS)
    .execute();
  for (const { company_id: companyId, user_id: userId } of users) {
    await yieldToRequests();
    await db.transaction().execute(async (tx) => {
      // The user's row first, as every ending of a user's sessions takes it (endSessionsByHandle).
      await lockUser(tx, companyId, userId);
      const sessions = await tx
        .selectFrom('sessions')
        .select('id_hash')
        .where('company_id', '=', companyId)
        .where('user_id', '=', userId)
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .orderBy('id_hash')
        .execute();
      const ended = sessions.slice(SESSIONS_PER_USER).map((session) => session.id_hash);
      if (ended.length === 0) return;
      await endSessionsAccess(tx, now, ended, 'session_limit');
      for (const idHash of ended) {
        await recordAudit(tx, now, {
          companyId,
          actorId: null,
          action: 'session.ended',
          target: userId,
          // The handle My Settings and a Master's list show for the session (my-sessions.ts).
          detail: { reason: 'session_limit', session: idHash.slice(0, 16), limit: SESSIONS_PER_USER },
        });
      }
    });
  }
}
