// Sign Up links: a random token in the email, its SHA-256 in the database. Issuing a new
// link revokes the earlier ones; consuming is one conditional UPDATE, so of two browsers
// racing with the same link exactly one wins.
import { hashToken, newId, randomToken } from '../crypto/index.ts';
import type { Queryable } from '../storage/index.ts';

export async function issueSignupLink(
  db: Queryable,
  companyId: string,
  userId: string,
  now: number,
  ttlMs: number,
): Promise<{ token: string; expiresAt: number }> {
  await db
    .updateTable('action_links')
    .set({ revoked_at: now })
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .where('purpose', '=', 'signup')
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
  const token = randomToken();
  const expiresAt = now + ttlMs;
  await db
    .insertInto('action_links')
    .values({
      id: newId(),
      company_id: companyId,
      user_id: userId,
      purpose: 'signup',
      token_hash: hashToken(token),
      expires_at: expiresAt,
      consumed_at: null,
      revoked_at: null,
      created_at: now,
    })
    .execute();
  return { token, expiresAt };
}

/** The live link for a token, without using it up (to show the Set Your Password page). */
export async function findLiveSignupLink(db: Queryable, token: string, now: number) {
  return db
    .selectFrom('action_links')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', 'signup')
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** Uses the link up; undefined when it was not live (used, revoked, expired, unknown). */
export async function consumeSignupLink(db: Queryable, token: string, now: number) {
  return db
    .updateTable('action_links')
    .set({ consumed_at: now })
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', 'signup')
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['company_id', 'user_id'])
    .executeTakeFirst();
}
