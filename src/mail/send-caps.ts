// Some mail goes out because someone asked for it: a reset link, the list of one's
// companies, the confirmation of a new address. Each is capped per recipient key in a
// window, so a form cannot flood a mailbox or turn Gatehouse into a mail cannon.
//
// The cap is one statement: an upsert of the key's counter that only counts when the
// window is over or there is room, and answers whether it counted. Looking at the recent
// mail and then sending (as it was done first) let concurrent requests on PostgreSQL all
// see none and all send; a row lock would work too, but the counter needs nothing held
// and is the same statement on both databases. It runs in the transaction that queues the
// mail, so a rolled-back mail gives its slot back.
import { sql } from 'kysely';
import { hashToken } from '../crypto/index.ts';
import type { Queryable } from '../storage/index.ts';
import { sweepPacer } from '../storage/sweep-pacer.ts';

export interface MailCap {
  /** Who or what the mail is for; stored only as its SHA-256 (it may be an address). */
  key: string;
  /** Mails allowed in a window. */
  limit: number;
  windowMs: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** One reset link (or, for a single sign-on user, one note that the password lives elsewhere) a minute per user. */
export const passwordResetCap = (userId: string): MailCap => ({ key: `password-reset:${userId}`, limit: 1, windowMs: MINUTE_MS });
/** One list of companies a minute per address. */
export const companyNamesCap = (address: string): MailCap => ({ key: `company-names:${address.toLowerCase()}`, limit: 1, windowMs: MINUTE_MS });
/** Five confirmations of a new address an hour per user: room to fix a typo, none to spam with. */
export const emailChangeCap = (userId: string): MailCap => ({ key: `email-change:${userId}`, limit: 5, windowMs: HOUR_MS });

/** No cap's window is longer: a row whose window started before this is spent and can go. */
const LONGEST_WINDOW_MS = HOUR_MS;

/** Counts one mail against the cap if there is room (true), atomically; false when the cap is reached. */
export async function takeMailSlot(tx: Queryable, cap: MailCap, now: number): Promise<boolean> {
  const windowOver = sql<boolean>`mail_caps.window_start <= ${now - cap.windowMs}`;
  const taken = await tx
    .insertInto('mail_caps')
    .values({ key_hash: hashToken(cap.key), window_start: now, sent: 1 })
    .onConflict((oc) =>
      oc
        .column('key_hash')
        .doUpdateSet({
          sent: sql<number>`case when ${windowOver} then 1 else mail_caps.sent + 1 end`,
          window_start: sql<number>`case when ${windowOver} then ${now} else mail_caps.window_start end`,
        })
        .where((eb) => eb.or([windowOver, eb('mail_caps.sent', '<', cap.limit)])),
    )
    .returning('key_hash')
    .executeTakeFirst();
  await sweepSpentCaps(tx, now);
  return taken !== undefined;
}

// Spent counters are only clutter: swept on the way, once a minute per process.
const sweepDue = sweepPacer();
async function sweepSpentCaps(tx: Queryable, now: number) {
  if (sweepDue(now)) await tx.deleteFrom('mail_caps').where('window_start', '<', now - LONGEST_WINDOW_MS).execute();
}
