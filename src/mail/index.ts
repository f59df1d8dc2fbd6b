// The mail door: queue mail inside a transaction, deliver it with the worker, and read
// the local mailbox of the embedded default.
import type { Queryable } from '../storage/index.ts';

export { enqueueMail } from './outbox.ts';
export { companyNamesCap, companyNoticeCaps, emailChangeCap, enrollmentCodeCap, passwordResetCap } from './send-caps.ts';
export { inviteEmail, welcomeEmail, type RenderedMail } from './templates.ts';
export {
  companyNamesEmail,
  companyNoticeEmail,
  COMPANY_CHANGE_KINDS,
  type CompanyChange,
  type NoticeActorName,
  confirmEmailChangeEmail,
  emailChangeNoticeEmail,
  enrollmentCodeEmail,
  passwordManagedEmail,
  passwordResetEmail,
  securityNoticeEmail,
  SECURITY_CHANGE_KINDS,
  type SecurityChange,
} from './account-templates.ts';
export { createMailWorker, type MailWorker } from './worker.ts';
export { createMailboxTransport, createSmtpTransport, type MailTransport } from './transports.ts';

export type MailStatus = 'pending' | 'sent' | 'failed';

/**
 * Outbox state joined with the local mailbox copy, the `limit` newest, of one `status` if
 * given: a mail that failed for good stays findable (`failed`) behind any number of newer
 * ones that were sent.
 */
export async function listMail(db: Queryable, limit = 200, status?: MailStatus) {
  const rows = await db
    .selectFrom('outbox')
    .leftJoin('mailbox', 'mailbox.outbox_id', 'outbox.id')
    .select([
      'outbox.id as id',
      'outbox.recipient as recipient',
      'outbox.subject as subject',
      'outbox.status as status',
      'outbox.attempts as attempts',
      'outbox.last_error as lastError',
      'outbox.created_at as createdAt',
      'outbox.sent_at as sentAt',
      'mailbox.id as mailboxId',
    ])
    .$if(status !== undefined, (query) => query.where('outbox.status', '=', status as MailStatus))
    .orderBy('outbox.created_at', 'desc')
    .limit(limit)
    .execute();
  return rows;
}

export async function readMailboxMessage(db: Queryable, outboxId: string) {
  return db.selectFrom('mailbox').selectAll().where('outbox_id', '=', outboxId).executeTakeFirst();
}
