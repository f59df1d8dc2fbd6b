// The transactional outbox: mail is written in the same transaction as the change that
// causes it (approval, resend), and a worker delivers it afterwards with retries. The
// body can hold a live Sign Up link, so it is stored encrypted and erased once sent.
import type { Selectable } from 'kysely';
import { email } from '../contract/fields.ts';
import { newId, type SecretBox } from '../crypto/index.ts';
import type { Queryable } from '../storage/index.ts';
import { pendingJob } from '../storage/leased-jobs.ts';
import type { OutboxTable } from '../storage/schema.ts';
import type { RenderedMail } from './templates.ts';

/** With the backoff below, about a day of retries before a message is given up. */
export const MAX_ATTEMPTS = 55;

/**
 * Whether `to` is one address and nothing else, by the rule every form holds an email to
 * (src/contract/fields.ts), untrimmed: no list ("a@x, b@y" reaches both), no display
 * name or group ("a: b@c;"), no line break. Mail carries live links, so an address
 * stored some other way (a provider's claim) must not add a recipient.
 */
export const isOneAddress = (to: string) => email.safeParse(to).data === to;

/**
 * Why a message cannot go to `to`, if it cannot: a user a provider created without an
 * email claim has the empty address, and a row stored before addresses were held to one
 * (a provider's claim) may hold a list. Such a message is kept as failed, with the reason
 * for the operators' mail list, and nothing is sent: the request that caused it answers as
 * ever (a forgot-password answer must not tell such a user apart).
 */
function undeliverable(to: string): string | null {
  if (to === '') return 'the user has no email address';
  return isOneAddress(to) ? null : 'the address is not one email address (a list, a display name or a line break): nothing was sent';
}

/**
 * Whom a message is for, beyond its address: the company's person (`userId`), who gets it
 * only while they still are one; and, for mail sent to them because of their role (a
 * notice to the Masters), that role (`forRole`), which they must still hold when it goes.
 * The worker checks both at each attempt (stillAddressed, worker.ts).
 */
export type Addressee = { userId?: string; forRole?: never } | { userId: string; forRole: AddressedRole };

/** A role mail is sent to a person for (outbox.for_role): 'master', as one of the company's Masters. */
export type AddressedRole = NonNullable<Selectable<OutboxTable>['for_role']>;

/** Queues a message to one address (or keeps it as failed: undeliverable, above). */
export async function enqueueMail(
  db: Queryable,
  secrets: SecretBox,
  now: number,
  message: {
    companyId: string | null;
    to: string;
  } & Addressee &
    RenderedMail,
): Promise<string> {
  const refusal = undeliverable(message.to);
  const id = newId();
  await db
    .insertInto('outbox')
    .values({
      id,
      company_id: message.companyId,
      recipient: message.to,
      ...(message.userId ? { user_id: message.userId } : {}),
      ...(message.forRole ? { for_role: message.forRole } : {}),
      subject: message.subject,
      ...(refusal
        ? { ...pendingJob(now), status: 'failed' as const, payload: null, last_error: refusal }
        : { ...pendingJob(now), payload: secrets.encrypt(JSON.stringify({ html: message.html, text: message.text }), `outbox:${id}`) }),
    })
    .execute();
  return id;
}

/** Backoff after the nth failed attempt: 10 s, 20 s, 40 s ... capped at 30 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
}
