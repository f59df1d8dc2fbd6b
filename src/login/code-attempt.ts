// The one way a second-factor code is accepted (login, re-authentication, own 2FA reset):
// an attempt slot is reserved before the code is evaluated, so parallel guesses get at
// most the company's threshold of evaluations; the code is taken in the transaction that
// acts on it; and the result is classified. Only a wrong code counts toward the lockout:
// a right code whose step was taken by an earlier or concurrent success is "already
// used" and gives its slot back, so the losing twins of a login never lock the winner out.
import { totpCode, type CodeVerdict, type OneTimeCode } from '../credentials/index.ts';
import type { CoreDeps } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { lockIfExhausted, lockIfOverThreshold, lockoutRuleFor, releaseAttempt, reserveAttempt, type LockoutRule } from './lockout.ts';

export type CodeOutcome<T> =
  | { kind: 'accepted'; value: T }
  | { kind: 'already_used' }
  | { kind: 'wrong'; locked: boolean }
  /** No slot: the account is locked, or its slots are held by requests in flight. */
  | { kind: 'locked' };

interface Who {
  companyId: string;
  userId: string;
}

const NOT_TAKEN = Symbol('not taken');

export interface ActOptions {
  /**
   * The action gives the slot back itself, in its transaction (a finished login clears
   * the whole count in the same write that stamps the login): one write fewer.
   */
  countClearedByAct?: boolean;
}

/** With a slot already reserved (re-authentication spends one on the password first). */
export async function spendSlotOnCode<T>(
  deps: CoreDeps,
  who: Who,
  slot: number,
  rule: LockoutRule,
  code: OneTimeCode,
  act: (tx: Queryable) => Promise<T>,
  options: ActOptions = {},
): Promise<CodeOutcome<T>> {
  let verdict = 'wrong' as CodeVerdict;
  try {
    const value = await deps.db.transaction().execute(async (tx) => {
      verdict = await code.take(tx);
      if (verdict !== 'accepted') throw NOT_TAKEN;
      if (!options.countClearedByAct) await releaseAttempt(tx, who.companyId, who.userId);
      return act(tx);
    });
    return { kind: 'accepted', value };
  } catch (error) {
    if (error !== NOT_TAKEN) {
      // The code was right but the action failed (a flow already used, a database
      // error): rolled back, and no guess either.
      await releaseAttempt(deps.db, who.companyId, who.userId).catch(() => undefined);
      throw error;
    }
  }
  if (verdict === 'already_used') {
    await releaseAttempt(deps.db, who.companyId, who.userId);
    return { kind: 'already_used' };
  }
  return { kind: 'wrong', locked: await lockIfExhausted(deps.db, who.companyId, who.userId, slot, deps.clock(), rule) };
}

/**
 * Without a slot the code is never accepted. A right code is not counted (its twins may
 * hold the slots); a used one is answered as such; a wrong one locks like any guess.
 */
export async function refuseWithoutSlot(deps: CoreDeps, who: Who, rule: LockoutRule, code: OneTimeCode): Promise<CodeOutcome<never>> {
  const state = await code.peek(deps.db);
  if (state === 'used') return { kind: 'already_used' };
  if (state === 'wrong') await lockIfOverThreshold(deps.db, who.companyId, who.userId, deps.clock(), rule);
  return { kind: 'locked' };
}

/** Reserves a slot, then takes the code and runs `act` in the same transaction. */
export async function acceptCode<T>(deps: CoreDeps, who: Who, code: OneTimeCode, act: (tx: Queryable) => Promise<T>, options: ActOptions = {}): Promise<CodeOutcome<T>> {
  const rule = await lockoutRuleFor(deps.db, who.companyId);
  const slot = await reserveAttempt(deps.db, who.companyId, who.userId, deps.clock(), rule);
  if (slot === null) return refuseWithoutSlot(deps, who, rule, code);
  return spendSlotOnCode(deps, who, slot, rule, code, act, options);
}

/** The user's authenticator-app code (the secret is stored encrypted, bound to the user). */
export function appCode(deps: CoreDeps, user: { company_id: string; id: string; totp_secret: string | null }, code: string): OneTimeCode {
  const secret = user.totp_secret === null ? null : deps.secrets.decrypt(user.totp_secret, `totp:${user.id}`);
  return totpCode({ companyId: user.company_id, userId: user.id }, secret, code, deps.clock());
}
