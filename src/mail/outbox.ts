// The transactional outbox: mail is written in the same transaction as the change that
// causes it (approval, resend), and a worker delivers it afterwards with retries. The
// body can hold a live Sign Up link, so it is stored encrypted and erased once sent.
import { newId, type SecretBox } from '../crypto/index.ts';
import type { Queryable } from '../storage/index.ts';
import { pendingJob } from '../storage/leased-jobs.ts';
import type { RenderedMail } from './templates.ts';

/** With the backoff below, about a day of retries before a message is given up. */
export const MAX_ATTEMPTS = 55;

export async function enqueueMail(
  db: Queryable,
  secrets: SecretBox,
  now: number,
  message: { companyId: string | null; to: string } & RenderedMail,
): Promise<string> {
  const id = newId();
  await db
    .insertInto('outbox')
    .values({
      id,
      company_id: message.companyId,
      recipient: message.to,
      subject: message.subject,
      payload: secrets.encrypt(JSON.stringify({ html: message.html, text: message.text }), `outbox:${id}`),
      ...pendingJob(now),
    })
    .execute();
  return id;
}

/** Backoff after the nth failed attempt: 10 s, 20 s, 40 s ... capped at 30 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
}
