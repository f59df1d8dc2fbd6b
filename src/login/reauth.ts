// Proof before a sensitive change by a signed-in user. The proof is the current password
// and ONE second factor the user may use at login: the authenticator app's code (unless
// the company's policy holds the user to keys), or a passkey or security key answering a
// fresh challenge bound to this session. A key that verified its user (PIN, biometrics)
// is itself two factors and may stand alone, as at "Log in with a passkey"; so may any
// key of a user who has no password (created by single sign-on), for whom it is the only
// proof Gatehouse can ask (and likewise the app's code alone). Wrong passwords and codes count toward the account lockout
// like wrong logins, so a borrowed session cannot guess without limit.
import { recordAudit } from '../audit/index.ts';
import { recoveryCode, type OneTimeCode } from '../credentials/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { recordUserRefusal } from '../shared/signed-in-writes.ts';
import { markProved } from '../sessions/index.ts';
import type { Queryable } from '../storage/index.ts';
import { getUser, stillProved, type UserRow } from '../users/index.ts';
import {
  authenticationOptions,
  findUserCredential,
  listSwitchedOnCredentials,
  recordUse,
  saveChallenge,
  takeChallenge,
  verifyAssertion,
  type AuthenticationResponseJSON,
} from '../webauthn/index.ts';
import { appCode, refuseWithoutSlot, spendSlotOnCode } from './code-attempt.ts';
import { lockedRefusal, lockIfExhausted, lockIfOverThreshold, lockoutRuleFor, releaseAttempt, reserveAttempt, type LockTarget } from './lockout.ts';
import { keyDemand } from './steps.ts';
import { recordCopiedKey } from './key-copy.ts';

const WRONG = {
  password: () => new GatehouseError('password.current_invalid', { fields: { password: 'Your current password is not correct.' } }),
  code: () => new GatehouseError('totp.code_refused', { fields: { code: 'Incorrect, expired or already used code.' } }),
  usedCode: () => new GatehouseError('totp.already_used', { fields: { code: 'This code was already used. Wait for the next one.' } }),
};

/** What the user offers: the password with a code, the password with a key, or a key alone. */
export interface Proof {
  password?: string | undefined;
  code?: string | undefined;
  /** Instead of the app's code, where the change allows it (the own 2FA reset: a phone lost). */
  recoveryCode?: string | undefined;
  key?: AuthenticationResponseJSON | undefined;
}

/** The changes a recovery code may prove, as at the login: setting 2FA up again after losing the phone. */
const TAKES_RECOVERY_CODE = new Set(['two_factor_reset']);

type Me = { companyId: string; userId: string; sessionHash: string };

/**
 * The ways this user can prove it is them in My Settings, for the dialog to offer only
 * those: `password` false for a user created by single sign-on; `app` false once the
 * company's policy holds the user to keys.
 */
export async function reauthMethods(deps: CoreDeps, who: { companyId: string; userId: string }) {
  const user = await getUser(deps.db, who.companyId, who.userId);
  assertThat(user, 'session.required');
  const demand = await keyDemand(deps.db, user);
  return { password: user.password_hash !== null, app: user.totp_secret !== null && !demand.keyOnly, key: demand.keys > 0 };
}

/** The options for navigator.credentials.get(): this user's keys still switched on, a challenge bound to this session. */
export async function reauthKeyOptions(deps: CoreDeps, me: Me) {
  const keys = await listSwitchedOnCredentials(deps.db, me.companyId, me.userId);
  if (keys.length === 0) throw new GatehouseError('webauthn.none_registered');
  const options = await authenticationOptions(deps.config, keys, 'preferred');
  await saveChallenge(deps.db, { bindingHash: me.sessionHash, purpose: 'reauth', companyId: me.companyId, userId: me.userId, challenge: options.challenge }, deps.clock());
  return options;
}

/**
 * Runs `change` after the proof, in the transaction that spends the second factor (the
 * code's time step, or the key's counter), so the proof works once. `purpose` names the
 * change in the audit trail when the proof fails.
 */
export async function withProof<T>(
  deps: CoreDeps,
  who: Me,
  input: Proof & { purpose: string },
  meta: RequestMeta,
  change: (tx: Queryable) => Promise<T>,
): Promise<T> {
  const user = await getUser(deps.db, who.companyId, who.userId);
  assertThat(user, 'session.required');
  const fail = async (reason: string, error: GatehouseError): Promise<never> => {
    // Capped per user: past the lockout (or without the app) a refusal costs nothing to
    // repeat (signed-in-writes.ts).
    await recordUserRefusal(deps.db, deps.clock(), {
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
  // The proof is checked before the change's transaction (the hash is slow): the change
  // goes on only while this session and the password it proved still stand (stillProved),
  // so a recovery that ended them meanwhile is not undone by a change it did not see.
  const proved = async (tx: Queryable) => {
    await stillProved(tx, who, user.password_hash);
    return change(tx);
  };
  if (input.key) return withKey(deps, who, user, input.key, input.password, fail, meta, input.purpose, proved);
  if (input.recoveryCode !== undefined && TAKES_RECOVERY_CODE.has(input.purpose)) {
    if (user.password_hash && !input.password) throw new GatehouseError('request.invalid', { fields: { password: 'Password is required.' } });
    const target = { companyId: who.companyId, userId: who.userId, ip: meta.ip, userAgent: meta.userAgent, after: `reauth:${input.purpose}` };
    const code = recoveryCode({ companyId: who.companyId, userId: who.userId }, deps.deriveKey('recovery-codes'), input.recoveryCode, deps.clock());
    return withPasswordAndCode(deps, target, user, input.password ?? '', code, RECOVERY_WRONG, fail, proved);
  }
  if (!user.totp_secret) return fail('no_app', new GatehouseError('reauth.key_needed'));
  if ((await keyDemand(deps.db, user)).keyOnly) return fail('key_required', new GatehouseError('reauth.key_required'));
  if (user.password_hash && !input.password) throw new GatehouseError('request.invalid', { fields: { password: 'Password is required.' } });
  const target = { companyId: who.companyId, userId: who.userId, ip: meta.ip, userAgent: meta.userAgent, after: `reauth:${input.purpose}` };
  return withPasswordAndCode(deps, target, user, input.password ?? '', appCode(deps, user, input.code ?? ''), APP_WRONG, fail, proved);
}

/**
 * Step-up before sensitive changes (routes marked `sensitive`, src/http/audiences.ts):
 * the proof, spent once, stamps this session as proved now. Returns the stamp and until
 * when it lets the session make such changes (src/sessions FRESH_PROOF_MS), in the browser
 * that holds the proof cookie made of it (src/sessions/step-up-proof.ts). The stamp lives on
 * the session row, so whatever ends the session (a password change elsewhere, sign out
 * everywhere) ends it too.
 */
export async function proveSession(deps: CoreDeps, me: Me, proof: Proof, meta: RequestMeta): Promise<{ provedAt: number; provedUntil: number }> {
  return withProof(deps, me, { ...proof, purpose: 'step_up' }, meta, async (tx) => {
    const provedAt = deps.clock();
    return { provedAt, provedUntil: await markProved(tx, me, provedAt) };
  });
}

/** How a wrong or used code is refused: the app's, or a recovery code (its own field and words). */
type CodeRefusals = { wrong: () => GatehouseError; used: () => GatehouseError };
const APP_WRONG: CodeRefusals = { wrong: () => WRONG.code(), used: () => WRONG.usedCode() };
const RECOVERY_WRONG: CodeRefusals = {
  wrong: () => new GatehouseError('recovery.invalid_code', { fields: { recoveryCode: 'Incorrect or already used recovery code.' } }),
  used: () => new GatehouseError('recovery.already_used', { fields: { recoveryCode: 'This recovery code was already used.' } }),
};

async function withPasswordAndCode<T>(
  deps: CoreDeps,
  who: LockTarget,
  user: UserRow,
  password: string,
  code: OneTimeCode,
  refusals: CodeRefusals,
  fail: (reason: string, error: GatehouseError) => Promise<never>,
  change: (tx: Queryable) => Promise<T>,
): Promise<T> {
  const rule = await lockoutRuleFor(deps.db, who.companyId);
  const input = { password };
  const slot = await reserveAttempt(deps.db, who.companyId, who.userId, deps.clock(), rule);
  if (slot === null) {
    await deps.hasher.verifyDummy(input.password);
    const refused = await refuseWithoutSlot(deps, who, rule, code);
    if (refused.kind === 'already_used') return fail('code_already_used', refusals.used());
    return fail('locked', await lockedRefusal(deps, who));
  }
  // No password here (single sign-on): the provider proved it at sign-in; the code is the proof Gatehouse can ask.
  if (user.password_hash && !(await deps.hasher.verify(user.password_hash, input.password))) {
    await lockIfExhausted(deps.db, who, slot, deps.clock(), rule);
    return fail('wrong_password', WRONG.password());
  }
  const outcome = await spendSlotOnCode(deps, who, slot, rule, code, change);
  if (outcome.kind === 'accepted') return outcome.value;
  if (outcome.kind === 'already_used') return fail('code_already_used', refusals.used());
  return fail('wrong_code', refusals.wrong());
}

/**
 * The key's answer to this session's challenge (taken once, whatever the outcome), with
 * the password unless the key verified its user or the user has no password. The use is
 * recorded (the counter moves forward only) in the transaction that makes the change.
 */
async function withKey<T>(
  deps: CoreDeps,
  who: Me,
  user: UserRow,
  response: AuthenticationResponseJSON,
  password: string | undefined,
  fail: (reason: string, error: GatehouseError) => Promise<never>,
  meta: RequestMeta,
  purpose: string,
  change: (tx: Queryable) => Promise<T>,
): Promise<T> {
  const pending = await takeChallenge(deps.db, who.sessionHash, 'reauth', deps.clock());
  if (!pending || pending.user_id !== who.userId) return fail('no_challenge', new GatehouseError('webauthn.not_accepted'));
  const row = await findUserCredential(deps.db, who.companyId, who.userId, response.id);
  if (!row) return fail('unknown_key', new GatehouseError('webauthn.not_accepted'));
  const outcome = await verifyAssertion(deps.config, response, pending.challenge, row, false);
  if (outcome.kind === 'refused') return fail('invalid_assertion', new GatehouseError('webauthn.not_accepted'));
  if (outcome.kind === 'switched_off') return fail('key_switched_off', new GatehouseError('webauthn.not_accepted'));
  if (outcome.kind === 'cloned') {
    await recordCopiedKey(deps, row, meta);
    return fail('cloned', new GatehouseError('webauthn.not_accepted'));
  }
  if (user.password_hash && password) {
    // A locked account's refusal is recorded as every other refusal is (`locked`), not
    // thrown past `fail`: the key's challenge is spent already.
    const verdict = await verifyCurrentPassword(deps, who, user.password_hash, password, meta, `reauth:${purpose}`).catch((error: unknown) => {
      if (error instanceof GatehouseError && (error.code === 'request.rate_limited' || error.code === 'account.locked')) return error;
      throw error;
    });
    if (verdict instanceof GatehouseError) return fail('locked', verdict);
    if (!verdict) return fail('wrong_password', WRONG.password());
  } else if (user.password_hash && !outcome.userVerified) {
    return fail('key_without_verification', new GatehouseError('reauth.password_with_key'));
  }
  return deps.db.transaction().execute(async (tx) => {
    if (!(await recordUse(tx, row, outcome.newCounter, outcome.userVerified, deps.clock()))) throw new GatehouseError('webauthn.not_accepted');
    await recordAudit(tx, deps.clock(), {
      companyId: who.companyId,
      actorId: who.userId,
      action: 'webauthn.used',
      target: who.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { keyId: row.id, name: row.name, userVerified: outcome.userVerified, reauth: purpose, withPassword: Boolean(user.password_hash && password) },
    });
    return change(tx);
  });
}

/**
 * Proof by password alone (email and password changes, adding or removing a key). Counted
 * like a login attempt: a wrong password takes a lockout slot, a right one gives it back.
 * False when wrong; throws account.locked while the account is locked (lockedRefusal). `meta` and
 * `after` go into the login.locked event when a wrong one locks the account.
 */
export async function verifyCurrentPassword(
  deps: CoreDeps,
  who: { companyId: string; userId: string },
  passwordHash: string,
  password: string,
  meta: RequestMeta,
  after = 'current_password',
): Promise<boolean> {
  const target = { companyId: who.companyId, userId: who.userId, ip: meta.ip, userAgent: meta.userAgent, after };
  const rule = await lockoutRuleFor(deps.db, who.companyId);
  const slot = await reserveAttempt(deps.db, who.companyId, who.userId, deps.clock(), rule);
  if (slot === null) {
    await lockIfOverThreshold(deps.db, target, deps.clock(), rule);
    await deps.hasher.verifyDummy(password);
    throw await lockedRefusal(deps, who);
  }
  if (!(await deps.hasher.verify(passwordHash, password))) {
    await lockIfExhausted(deps.db, target, slot, deps.clock(), rule);
    return false;
  }
  await releaseAttempt(deps.db, who.companyId, who.userId);
  return true;
}

