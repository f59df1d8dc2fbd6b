// Ends a user's access everywhere at once: Gatehouse sessions, unfinished logins, every
// module session and token, and any pending email change (whoever asked for it may be
// the one being locked out, and confirming needs no session). Called in the same transaction as the change that
// requires it (deactivation, deletion, password change, 2FA reset).
import { recordSessionEnded } from '../audit/index.ts';
import { hashToken } from '../crypto/index.ts';
import { revokeAccountTokens } from '../modules/index.ts';
import { endAllSessions, endSession } from '../sessions/index.ts';
import type { RequestMeta } from '../shared/deps.ts';
import type { Db, Queryable } from '../storage/index.ts';
import { revokePendingEmailChanges } from './email-change.ts';

export async function endUserAccess(db: Queryable, companyId: string, userId: string): Promise<void> {
  await endAllSessions(db, companyId, userId);
  await revokePendingEmailChanges(db, companyId, userId);
  await db.deleteFrom('login_flows').where('company_id', '=', companyId).where('user_id', '=', userId).execute();
  await revokeAccountTokens(db, companyId, userId);
}

/**
 * Log Out: ends this Gatehouse session and the user's module tokens (refresh tokens
 * included), so no module keeps a way in after the user logged out of Gatehouse.
 */
export async function logOut(db: Db, sessionToken: string, now: number, meta: RequestMeta): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const session = await tx
      .selectFrom('sessions')
      .select(['company_id', 'user_id'])
      .where('id_hash', '=', hashToken(sessionToken))
      .executeTakeFirst();
    await recordSessionEnded(tx, now, sessionToken, meta);
    await endSession(tx, sessionToken);
    if (session) await revokeAccountTokens(tx, session.company_id, session.user_id);
  });
}
