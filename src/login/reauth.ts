// Proof before a sensitive change by a signed-in user: the current password and a fresh
// code from the authenticator app. Wrong tries count toward the account lockout like
// wrong logins, so a borrowed session cannot guess the password without limit.
import { recordAudit } from '../audit/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { getUser } from '../users/index.ts';
import { appCode, refuseWithoutSlot, spendSlotOnCode } from './code-attempt.ts';
import { lockIfExhausted, lockIfOverThreshold, lockoutRuleFor, releaseAttempt, reserveAttempt } from './lockout.ts';

const WRONG = {
  password: () => new GatehouseError('password.current_invalid', { fields: { password: 'Your current password is not correct.' } }),
  code: () => new GatehouseError('totp.code_refused', { fields: { code: 'Incorrect, expired or already used code.' } }),
  usedCode: () => new GatehouseError('totp.already_used', { fields: { code: 'This code was already used. Wait for the next one.' } }),
};

/**
 * Runs `change` in the transaction that records the code's time step (so the code works
 * once, here or at login), after the password and code are proved; `purpose` names it
 * in the audit trail when the proof fails. The code goes through the one acceptance path
 * (code-attempt.ts): a replayed code is "already used" and not counted as a guess.
 */
export async function withPasswordAndCode<T>(
  deps: CoreDeps,
  who: { companyId: string; userId: string },
  input: { password: string; code: string; purpose: string },
  meta: RequestMeta,
  change: (tx: Queryable) => Promise<T>,
): Promise<T> {
  const user = await getUser(deps.db, who.companyId, who.userId);
  assertThat(user?.password_hash && user.totp_secret, 'session.required');
  const rule = await lockoutRuleFor(deps.db, who.companyId);
  const fail = async (reason: string, error: GatehouseError): Promise<never> => {
    await recordAudit(deps.db, deps.clock(), {
      companyId: who.companyId,
      actorId: who.userId,
      action: 'reauth.failed',
      target: who.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { reason, purpose: input.purpose },
    });
    throw error;
  };
  const code = appCode(deps, user, input.code);
  const slot = await reserveAttempt(deps.db, who.companyId, who.userId, deps.clock(), rule);
  if (slot === null) {
    await deps.hasher.verifyDummy(input.password);
    const refused = await refuseWithoutSlot(deps, who, rule, code);
    if (refused.kind === 'already_used') return fail('code_already_used', WRONG.usedCode());
    return fail('locked', new GatehouseError('request.rate_limited'));
  }
  if (!(await deps.hasher.verify(user.password_hash, input.password))) {
    await lockIfExhausted(deps.db, who.companyId, who.userId, slot, deps.clock(), rule);
    return fail('wrong_password', WRONG.password());
  }
  const outcome = await spendSlotOnCode(deps, who, slot, rule, code, change);
  if (outcome.kind === 'accepted') return outcome.value;
  if (outcome.kind === 'already_used') return fail('code_already_used', WRONG.usedCode());
  return fail('wrong_code', WRONG.code());
}

/**
 * Proof by password alone (email and password changes). Counted like a login attempt:
 * a wrong password takes a lockout slot, a right one gives it back. False when wrong;
 * throws request.rate_limited while the account is locked.
 */
export async function verifyCurrentPassword(
  deps: CoreDeps,
  who: { companyId: string; userId: string },
  passwordHash: string,
  password: string,
): Promise<boolean> {
  const rule = await lockoutRuleFor(deps.db, who.companyId);
  const slot = await reserveAttempt(deps.db, who.companyId, who.userId, deps.clock(), rule);
  if (slot === null) {
    await lockIfOverThreshold(deps.db, who.companyId, who.userId, deps.clock(), rule);
    await deps.hasher.verifyDummy(password);
    throw new GatehouseError('request.rate_limited');
  }
  if (!(await deps.hasher.verify(passwordHash, password))) {
    await lockIfExhausted(deps.db, who.companyId, who.userId, slot, deps.clock(), rule);
    return false;
  }
  await releaseAttempt(deps.db, who.companyId, who.userId);
  return true;
}
