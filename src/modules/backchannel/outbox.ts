// Back-channel logout notices owed to modules (OpenID Connect Back-Channel Logout 1.0).
// Written in the same transaction as the change that ends access, so a notice is never
// lost to a crash or a module that is down; a worker delivers them with retries.
import { newId } from '../../crypto/index.ts';
import type { Queryable } from '../../storage/index.ts';
import { pendingJob } from '../../storage/leased-jobs.ts';

/** With the backoff below, about five hours of retries before a notice is given up. */
export const MAX_ATTEMPTS = 20;

/** Backoff after the nth failed attempt: 1 s, 2 s, 4 s ... capped at 30 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
}

export interface LogoutNotice {
  companyId: string;
  clientId: string;
  accountId: string;
  /** The sid the module saw in its ID token (null: every session of the account). */
  sid: string | null;
  /** Why access ended, for operators reading the outbox. */
  reason: string;
}

/** Queues one notice; one still waiting for the same module, account and sid is enough. */
export async function enqueueLogoutNotice(db: Queryable, now: number, notice: LogoutNotice): Promise<void> {
  const waiting = await db
    .selectFrom('backchannel_outbox')
    .select('id')
    .where('status', '=', 'pending')
    .where('client_id', '=', notice.clientId)
    .where('account_id', '=', notice.accountId)
    .where((eb) => (notice.sid === null ? eb('sid', 'is', null) : eb('sid', '=', notice.sid)))
    .where('attempts', '=', 0)
    .executeTakeFirst();
  if (waiting) return;
  await db
    .insertInto('backchannel_outbox')
    .values({
      id: newId(),
      company_id: notice.companyId,
      client_id: notice.clientId,
      account_id: notice.accountId,
      sid: notice.sid,
      reason: notice.reason,
      ...pendingJob(now),
    })
    .execute();
}

export type LogoutNoticeStatus = 'pending' | 'sent' | 'failed';

/**
 * Notices for operators, the `limit` newest, of one `status` if given, with the module's
 * name (gatehouse logouts list): a notice given up on stays findable (`failed`) behind any
 * number of newer ones that were delivered.
 */
export async function listLogoutNotices(db: Queryable, limit = 200, status?: LogoutNoticeStatus) {
  return db
    .selectFrom('backchannel_outbox')
    .leftJoin('modules', 'modules.client_id', 'backchannel_outbox.client_id')
    .leftJoin('companies', 'companies.id', 'backchannel_outbox.company_id')
    .select([
      'backchannel_outbox.id as id',
      'backchannel_outbox.client_id as clientId',
      'modules.name as module',
      'companies.name as company',
      'backchannel_outbox.reason as reason',
      'backchannel_outbox.status as status',
      'backchannel_outbox.attempts as attempts',
      'backchannel_outbox.last_error as lastError',
      'backchannel_outbox.created_at as createdAt',
      'backchannel_outbox.sent_at as sentAt',
    ])
    .$if(status !== undefined, (query) => query.where('backchannel_outbox.status', '=', status as LogoutNoticeStatus))
    .orderBy('backchannel_outbox.created_at', 'desc')
    .limit(limit)
    .execute();
}
