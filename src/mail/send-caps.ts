// Some mail goes out because someone asked for it: a reset link, the list of one's
// companies, the confirmation of a new address. Each is capped per recipient, so a form
// cannot flood a mailbox or turn Gatehouse into a mail cannon; the caller takes the slot
// (takeRateSlot, atomic) in the transaction that queues the mail.
import { createHash } from 'node:crypto';
import type { RateCap } from '../storage/rate-caps.ts';

const MINUTE_MS = 60_000;

/** One reset link (or, for a single sign-on user, one note that the password lives elsewhere) a minute per user. */
export const passwordResetCap = (userId: string): RateCap => ({ key: `password-reset:${userId}`, limit: 1, windowMs: MINUTE_MS });
/** One list of companies a minute per address. */
export const companyNamesCap = (address: string): RateCap => ({ key: `company-names:${address.toLowerCase()}`, limit: 1, windowMs: MINUTE_MS });
/** Five confirmations of a new address an hour per user: room to fix a typo, none to spam with. */
export const emailChangeCap = (userId: string): RateCap => ({ key: `email-change:${userId}`, limit: 5, windowMs: 60 * MINUTE_MS });

/**
 * Five codes an hour per user to set up 2FA again after someone else reset it
 * (src/login/mail-proof.ts): each login may guess its code five times, so whoever holds the
 * password gets 25 guesses an hour at a six-digit code, however many logins they start.
 */
export const enrollmentCodeCap = (userId: string): RateCap => ({ key: `enrollment-code:${userId}`, limit: 5, windowMs: 60 * MINUTE_MS });

/**
 * A company's notices to one of its Masters (queueCompanyNotice): the same notice (its
 * change and subject) three times an hour, thirty notices an hour in all, the thirtieth
 * saying it is the last of the hour. Each change is one a Master may make hundreds of
 * times (the admin-change rate), and a Master's address may be one no one confirmed (the
 * company's own provider asserts it): uncapped, a tenant flipping one user's role made
 * Gatehouse a mail cannon at a third party. Keyed by the subject, so repeating one notice
 * never hides another; and whoever spends the thirty with varied changes (a borrowed
 * session hiding what it does next) has told every Master, in the thirtieth, that a flood
 * is under way and where to read it: past it, the trail alone has the changes.
 */
export const COMPANY_NOTICES_AN_HOUR = 30;

export function companyNoticeCaps(userId: string, change: string, subject: string): { sameNotice: RateCap; beforeLast: RateCap; last: RateCap } {
  const about = createHash('sha256').update(`${change}\0${subject}`).digest('base64url').slice(0, 22);
  const hour = 60 * MINUTE_MS;
  return {
    sameNotice: { key: `company-notice:${userId}:${about}`, limit: 3, windowMs: hour },
    // The thirty as twenty-nine and one, so the one knows it is the last.
    beforeLast: { key: `company-notices:${userId}`, limit: COMPANY_NOTICES_AN_HOUR - 1, windowMs: hour },
    last: { key: `company-notices-last:${userId}`, limit: 1, windowMs: hour },
  };
}
