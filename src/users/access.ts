// Ends a user's access everywhere at once: Gatehouse sessions, unfinished logins, and
// every module session and token. Called in the same transaction as the change that
// requires it (deactivation, deletion, password change, 2FA reset).
import { revokeAccountTokens } from '../modules/index.ts';
import { endAllSessions } from '../sessions/index.ts';
import type { Queryable } from '../storage/index.ts';

export async function endUserAccess(db: Queryable, companyId: string, userId: string): Promise<void> {
  await endAllSessions(db, companyId, userId);
  await db.deleteFrom('login_flows').where('company_id', '=', companyId).where('user_id', '=', userId).execute();
  await revokeAccountTokens(db, companyId, userId);
}
