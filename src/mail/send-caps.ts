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
 * A company's notices to one of its Masters (queueCompanyNotice): the same notice (its
 * change and subject) three times an hour, thirty notices an hour in all. Each change is
 * one a Master may make hundreds of times (the admin-change rate), and a Master's address
 * may be one no one confirmed (the company's own provider asserts it): uncapped, a tenant
 * flipping one user's role made Gatehouse a mail cannon at a third party. Keyed by the
 * subject, so a flood of one notice never hides another: a Master made of someone else, a
 * provider added, still reaches every Master (past the thirty, the trail alone has them).
 */
export function companyNoticeCaps(userId: string, change: string, subject: string): [sameNotice: RateCap, all: RateCap] {
  const about = createHash('sha256').update(`${change}\0${subject}`).digest('base64url').slice(0, 22);
  return [
    { key: `company-notice:${userId}:${about}`, limit: 3, windowMs: 60 * MINUTE_MS },
    { key: `company-notices:${userId}`, limit: 30, windowMs: 60 * MINUTE_MS },
  ];
}
