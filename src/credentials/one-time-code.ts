// One implementation of "is this second-factor code right, and has it been used?" for
// TOTP steps and recovery codes. A code that is cryptographically right but whose time
// step (or recovery code) was already taken, by an earlier or a concurrent success, is
// `already_used`: refused, but it is no guess, so callers must not count it toward the
// lockout (otherwise the losing twins of a successful login lock the winner out).
import type { Queryable } from '../storage/index.ts';
import { normalizeRecoveryCode, recoveryCodeHash } from './recovery-codes.ts';
import { matchTotpStep } from './totp.ts';

/** What taking the code in a transaction did. */
export type CodeVerdict = 'accepted' | 'already_used' | 'wrong';
/** What the code is, without taking it (for a request that has no attempt slot). */
export type CodeState = 'unused' | 'used' | 'wrong';

export interface OneTimeCode {
  /** Reads only. */
  peek(db: Queryable): Promise<CodeState>;
  /** Takes the code atomically (one conditional UPDATE); run it in the transaction that acts on it. */
  take(tx: Queryable): Promise<CodeVerdict>;
}

interface Owner {
  companyId: string;
  userId: string;
}

/**
 * The code from the authenticator app. Its time step is recorded on the user; a step at
 * or before the recorded one (the same code, or an older one) is already used. Without a
 * secret (2FA not set up) every code is wrong.
 */
export function totpCode(owner: Owner, secretBase32: string | null, code: string, now: number): OneTimeCode {
  const step = secretBase32 === null ? null : matchTotpStep(secretBase32, code, now);
  const user = (db: Queryable) => db.selectFrom('users').where('company_id', '=', owner.companyId).where('id', '=', owner.userId);
  return {
    async peek(db) {
      if (step === null) return 'wrong';
      const last = (await user(db).select('totp_last_step').executeTakeFirst())?.totp_last_step ?? null;
      return last !== null && Number(last) >= step ? 'used' : 'unused';
    },
    async take(tx) {
      if (step === null) return 'wrong';
      const taken = await tx
        .updateTable('users')
        .set({ totp_last_step: step })
        .where('company_id', '=', owner.companyId)
        .where('id', '=', owner.userId)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      return Number(taken.numUpdatedRows) === 1 ? 'accepted' : 'already_used';
    },
  };
}

/** A recovery code: kept as a keyed hash bound to the user, used up by one conditional update. */
export function recoveryCode(owner: Owner, key: Buffer, code: string, now: number): OneTimeCode {
  const compact = normalizeRecoveryCode(code);
  const hash = compact === undefined ? undefined : recoveryCodeHash(key, owner.userId, compact);
  const state = async (db: Queryable): Promise<CodeState> => {
    if (hash === undefined) return 'wrong';
    const row = await db
      .selectFrom('recovery_codes')
      .select('used_at')
      .where('company_id', '=', owner.companyId)
      .where('user_id', '=', owner.userId)
      .where('code_hash', '=', hash)
      .executeTakeFirst();
    if (!row) return 'wrong';
    return row.used_at === null ? 'unused' : 'used';
  };
  return {
    peek: state,
    async take(tx) {
      if (hash === undefined) return 'wrong';
      const taken = await tx
        .updateTable('recovery_codes')
        .set({ used_at: now })
        .where('company_id', '=', owner.companyId)
        .where('user_id', '=', owner.userId)
        .where('code_hash', '=', hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 1) return 'accepted';
      return (await state(tx)) === 'wrong' ? 'wrong' : 'already_used';
    },
  };
}
