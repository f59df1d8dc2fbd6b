// Some mail goes out because someone asked for it: a reset link, the list of one's
// companies, the confirmation of a new address. Each is capped per recipient, so a form
// cannot flood a mailbox or turn Gatehouse into a mail cannon; the caller takes the slot
// (takeRateSlot, atomic) in the transaction that queues the mail.
import type { RateCap } from '../storage/rate-caps.ts';

const MINUTE_MS = 60_000;

/** One reset link (or, for a single sign-on user, one note that the password lives elsewhere) a minute per user. */
export const passwordResetCap = (userId: string): RateCap => ({ key: `password-reset:${userId}`, limit: 1, windowMs: MINUTE_MS });
/** One list of companies a minute per address. */
export const companyNamesCap = (address: string): RateCap => ({ key: `company-names:${address.toLowerCase()}`, limit: 1, windowMs: MINUTE_MS });
/** Five confirmations of a new address an hour per user: room to fix a typo, none to spam with. */
export const emailChangeCap = (userId: string): RateCap => ({ key: `email-change:${userId}`, limit: 5, windowMs: 60 * MINUTE_MS });
