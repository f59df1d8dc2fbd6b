// Recovery codes: ten single-use codes, made when 2FA is set up, for the day the phone
// is lost. Each is 50 random bits (10 base32 characters, shown as xxxx-xxxx-xx); the
// database keeps only a keyed SHA-256 of it (bound to the user), and a code is used up
// by one conditional update (one-time-code.ts), so two racing requests cannot both use it.
import { keyedHash, newId, randomBytesOf } from '../crypto/index.ts';
import type { Queryable } from '../storage/index.ts';
import { normalizeRecoveryCode } from '../contract/fields.ts';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'; // RFC 4648 base32: no 0/O, 1/l, 8/B

export function newRecoveryCode(): string {
  // 32 symbols: a byte's low five bits are uniform, so there is no modulo bias.
  const chars = [...randomBytesOf(10)].map((byte) => ALPHABET[byte & 31]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

// How a typed code is read lives with the form's rules, which the web app shares.
export { normalizeRecoveryCode } from '../contract/fields.ts';

/** The stored form of a (normalized) code. */
export const recoveryCodeHash = (key: Buffer, userId: string, compact: string) => keyedHash(key, `${userId}:${compact}`);

/** Replaces every code of the user with ten new ones, returned this once. */
export async function replaceRecoveryCodes(db: Queryable, key: Buffer, companyId: string, userId: string, now: number) {
  await deleteRecoveryCodes(db, companyId, userId);
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await db
    .insertInto('recovery_codes')
    .values(codes.map((code) => ({
      id: newId(),
      company_id: companyId,
      user_id: userId,
      code_hash: recoveryCodeHash(key, userId, normalizeRecoveryCode(code) as string),
      used_at: null,
      created_at: now,
    })))
    .execute();
  return codes;
}

export async function recoveryCodeStatus(db: Queryable, companyId: string, userId: string) {
  const rows = await db
    .selectFrom('recovery_codes')
    .select(['used_at', 'created_at'])
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .execute();
  return {
    remaining: rows.filter((r) => r.used_at === null).length,
    generatedAt: rows.length > 0 ? Math.max(...rows.map((r) => Number(r.created_at))) : null,
  };
}

export async function deleteRecoveryCodes(db: Queryable, companyId: string, userId: string) {
  await db.deleteFrom('recovery_codes').where('company_id', '=', companyId).where('user_id', '=', userId).execute();
}
