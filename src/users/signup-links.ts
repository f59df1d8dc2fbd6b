// Sign Up links (the welcome mail, invitations, the first operator): account links of
// purpose "signup", under the names the rest of Gatehouse uses for them.
import type { Queryable } from '../storage/index.ts';
import { consumeAccountLink, findLiveAccountLink, issueAccountLink } from './account-links.ts';

/**
 * A new Sign Up link for the user; the earlier ones stop working. `mailedTo`: the address
 * the link is mailed to (the welcome mail, an invitation), which its use proves reaches
 * the user (completeSignup); a link printed on the server (an operator's) has none.
 */
export function issueSignupLink(db: Queryable, companyId: string, userId: string, now: number, ttlMs: number, mailedTo?: string) {
  return issueAccountLink(db, { companyId, userId, purpose: 'signup', ...(mailedTo ? { data: mailedTo } : {}) }, now, ttlMs);
}

/** The live link for a token, without using it up (to show the Set Your Password page). */
export function findLiveSignupLink(db: Queryable, token: string, now: number) {
  return findLiveAccountLink(db, 'signup', token, now);
}

/** Uses the link up; undefined when it was not live (used, revoked, expired, unknown). */
export function consumeSignupLink(db: Queryable, token: string, now: number) {
  return consumeAccountLink(db, 'signup', token, now);
}
