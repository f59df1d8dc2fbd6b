// Mail in the local mailbox (a test server started with `mailbox: true`, as the embedded
// default runs): what the operator's Mailbox shows, read straight from the database.
import type { TestServer } from './server.ts';
import { until } from './until.ts';

export interface MailboxMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Waits until the mailbox holds a message matching `predicate`; returns the first one. */
export async function mailboxMail(server: TestServer, predicate: (mail: MailboxMail) => boolean, timeoutMs = 15_000): Promise<MailboxMail> {
  let found: MailboxMail | undefined;
  await until(async () => {
    const rows = await server.gatehouse.deps.db.selectFrom('mailbox').selectAll().orderBy('created_at').execute();
    found = rows
      .map((row) => ({ to: row.recipient, subject: row.subject, text: row.text_body, html: row.html_body }))
      .find(predicate);
    return found !== undefined;
  }, 'a message in the local mailbox', timeoutMs);
  return found as MailboxMail;
}
