// Emailed links: Sign Up (welcome and invitations), password reset, email-change
// confirmation (to the new address) and cancellation (to the old one). Only the token's SHA-256 is stored, a newer link revokes the earlier
// ones of its purpose, and using one is a single conditional UPDATE (of two racing
// browsers exactly one wins). Purpose is part of every query, so a link never works
// for another purpose.
import { hashToken, newId, randomToken } from '../crypto/index.ts';
import type { Queryable } from '../storage/index.ts';

export type AccountLinkPurpose = 'signup' | 'reset_password' | 'confirm_email' | 'cancel_email';

/**
 * Revokes the unused links of a company, narrowed to one user and to one purpose when
 * given: a newer link of a purpose (below), a user deactivated or deleted (every purpose),
 * a company suspended (every user's).
 */
export async function revokeLiveLinks(db: Queryable, scope: { companyId: string; userId?: string; purpose?: AccountLinkPurpose }, now: number) {
  const { companyId, userId, purpose } = scope;
  await db
    .updateTable('action_links')
    .set({ revoked_at: now })
    .where('company_id', '=', companyId)
    .$if(userId !== undefined, (query) => query.where('user_id', '=', userId as string))
    .$if(purpose !== undefined, (query) => query.where('purpose', '=', purpose as AccountLinkPurpose))
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeAccountLinks(db: Queryable, companyId: string, userId: string, purpose: AccountLinkPurpose, now: number) {
  await revokeLiveLinks(db, { companyId, userId, purpose }, now);
}

export async function issueAccountLink(
  db: Queryable,
  input: { companyId: string; userId: string; purpose: AccountLinkPurpose; data?: string },
  now: number,
  ttlMs: number,
): Promise<{ token: string; expiresAt: number }> {
  await revokeAccountLinks(db, input.companyId, input.userId, input.purpose, now);
  const token = randomToken();
  const expiresAt = now + ttlMs;
  await db
    .insertInto('action_links')
    .values({
      id: newId(),
      company_id: input.companyId,
      user_id: input.userId,
      purpose: input.purpose,
      data: input.data ?? null,
      token_hash: hashToken(token),
      expires_at: expiresAt,
      consumed_at: null,
      revoked_at: null,
      created_at: now,
    })
    .execute();
  return { token, expiresAt };
}

/** The live link for a token without using it up (to describe the page). */
export async function findLiveAccountLink(db: Queryable, purpose: AccountLinkPurpose, token: string, now: number) {
  return db
    .selectFrom('action_links')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** The newest live link of a user for a purpose (a pending email change). */
export async function findPendingAccountLink(db: Queryable, companyId: string, userId: string, purpose: AccountLinkPurpose, now: number) {
  return db
    .selectFrom('action_links')
    .select(['data', 'created_at', 'expires_at'])
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

/** Uses the link up; undefined when it was not live (used, revoked, expired, unknown). */
export async function consumeAccountLink(db: Queryable, purpose: AccountLinkPurpose, token: string, now: number) {
  return db
    .updateTable('action_links')
    .set({ consumed_at: now })
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['company_id', 'user_id', 'data'])
    .executeTakeFirst();
}
