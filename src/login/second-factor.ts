// The last login step: the code from the authenticator app, or a recovery code. Only it
// creates a session, in the same transaction that consumes the flow and uses up the code.
import { auditInsert } from '../audit/index.ts';
import { getCompanyPolicy, ipAllowed, type CompanyPolicy } from '../companies/index.ts';
import { recoveryCode, type OneTimeCode } from '../credentials/index.ts';
import { assertThat, GatehouseError, type ErrorCode } from '../errors.ts';
import { newSession } from '../sessions/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { queueSecurityNotice, type UserRow } from '../users/index.ts';
import { hashToken } from '../crypto/index.ts';
import { consumeFlow, consumingFlow, countTotpFailure, moveFlowPastProof, type FlowRow } from './flows.ts';
import { endFlow, requireFlowWithSubjectAt, type CookieFlow } from './flow-cookie.ts';
import { acceptAppCodeAtOnce, acceptCode, appCode, appCodeStep, type LoginInsert } from './code-attempt.ts';
import { lockedRefusal, lockoutRuleOf, mayFinishLogin, onPostgres, releaseAttempt, userLockedFirst } from './lockout.ts';
import { givingHoldBack } from './attempt-holds.ts';
import { answeredInFlight, twinAnswer } from './attempts-in-flight.ts';

import { keyDemandOf, MAX_TOTP_FAILURES, type KeyDemand, type LoginStep } from './steps.ts';

type Factor = { amr: string[]; detail?: Record<string, unknown> };

/** What a finished login writes besides the flow and the user: its session and its audit event. */
function loginRows(deps: CoreDeps, flow: FlowRow, who: { companyId: string; userId: string }, meta: RequestMeta, factor: Factor, policy: CompanyPolicy) {
  // The company's allowlist, as it stands when the session is made (every way of finishing
  // a login makes it here): the password step checked it too, but a login waits at its
  // last step for minutes, and a Master who narrows the list meanwhile ends the sessions
  // it excludes (companies/policy.ts), so must not find one made just after.
  if (!ipAllowed(policy.ipAllowlist, meta.ip)) throw new GatehouseError('login.ip_not_allowed');
  const now = deps.clock();
  // After the company's identity provider, the first factor was the provider's ("fed",
  // as Entra ID says it), not a password: the session and module ID tokens say so.
  const federated = flow.first_factor === 'fed';
  const amr = federated ? factor.amr.map((method) => (method === 'pwd' ? 'fed' : method)) : factor.amr;
  const detail = federated ? { ...factor.detail, firstFactor: 'sso' } : factor.detail;
  const sessionTtlMs = policy.sessionAbsoluteMinutes * 60_000;
  const session = newSession(
    {
      ...who,
      amr,
      ip: meta.ip,
      userAgent: meta.userAgent,
      ttlMs: sessionTtlMs,
      // A module's sign-in that asked for a fresh login accepts only the login made for it.
      loginFor: flow.return_to,
    },
    now,
  );
  const event = { companyId: who.companyId, actorId: who.userId, action: 'login.succeeded', target: who.userId, ip: meta.ip, userAgent: meta.userAgent, ...(detail ? { detail } : {}) };
  const inserts: LoginInsert[] = [session.insert, (db) => auditInsert(db, now, event)];
  return { inserts, result: { sessionToken: session.token, sessionTtlMs } };
}

/**
 * The login's session, in `tx`. `keyFree`: the login was decided on no key being required
 * of the user, and finishes without one (mayFinishLogin holds the write to that still).
 */
export async function finishLogin(deps: CoreDeps, tx: Queryable, flow: FlowRow, meta: RequestMeta, factor: Factor, decided: { keyFree: boolean; providerMfa?: boolean }) {
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  // The user's row before the flow's (lockout.ts, LOCK ORDER): on PostgreSQL in the
  // statement that consumes the flow, so it costs no round trip of its own.
  const consumed = onPostgres(tx)
    ? await consumingFlow(tx, flow).where(userLockedFirst(flow.company_id, flow.user_id)).returning('slot_hold_window').executeTakeFirst()
    : await consumeFlow(tx, flow);
  if (!consumed) throw new GatehouseError('login.flow_expired');
  // One write for the user: the lockout count cleared (which also gives back the code's
  // attempt slot, see acceptCode's countClearedByAct), the password step's hold given
  // back if the flow still had it (attempt-holds.ts), and the time of this login.
  const now = deps.clock();
  // The policy as it stands in this transaction: its allowlist is checked here (loginRows)
  // and must still be the company's when the user is written (mayFinishLogin).
  const policy = await getCompanyPolicy(tx, flow.company_id);
  const rows = loginRows(deps, flow, { companyId: flow.company_id, userId: flow.user_id }, meta, factor, policy);
  const finished = await tx
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: null, lock_streak: 0, last_login_at: now, ...givingHoldBack(consumed.slot_hold_window) })
    .where('company_id', '=', flow.company_id)
    .where('id', '=', flow.user_id)
    // No session for a user deactivated, a company suspended, a password closed or an allowlist changed, during the login.
    .where(mayFinishLogin(flow.first_factor, { ipAllowlist: policy.ipAllowlist, ...decided }, onPostgres(tx)))
    .executeTakeFirst();
  if (Number(finished.numUpdatedRows) !== 1) throw new GatehouseError('login.flow_expired');
  for (const insert of rows.inserts) await insert(tx).execute();
  return rows.result;
}

/**
 * A second factor is proved (a code at the code step, or the app's first code at
 * enrollment): the session; or, where the company's policy wants a key this user has none
 * of, the login moves on to adding one (key_enroll), past the proof, so the flow is renamed
 * (flows.ts moveFlowPastProof) and `flowToken` is its cookie from now on. The one place
 * that decides it, so no way of proving a factor skips the policy.
 */
export async function finishUnlessKeyDemanded(
  deps: CoreDeps,
  tx: Queryable,
  found: CookieFlow,
  meta: RequestMeta,
  factor: Factor,
  known: { policy: CompanyPolicy; demand: KeyDemand },
): Promise<{ sessionToken: string; sessionTtlMs: number } | { flowToken: string }> {
  const { flow } = found;
  // A key asked of a user who has one (keyOnly): only a recovery code finishes here.
  if (!known.demand.mustAddKey) return finishLogin(deps, tx, flow, meta, factor, { keyFree: !known.demand.keyOnly });
  const flowToken = await moveFlowPastProof(tx, flow, 'key_enroll', found.loginId);
  if (!flowToken) throw new GatehouseError('login.wrong_step');
  return { flowToken };
}

type CodeError = Extract<ErrorCode, 'totp.invalid_code' | 'recovery.invalid_code'>;
/** A code refused at a login step: a second factor's, or the mailed one before enrollment (mail-proof.ts). */
type RefusedCode = CodeError | Extract<ErrorCode, 'login.enrollment_code_invalid'>;
const CODE_FIELD: Record<RefusedCode, string> = {
  'totp.invalid_code': 'Incorrect or expired code.',
  'recovery.invalid_code': 'Incorrect or already used recovery code.',
  'login.enrollment_code_invalid': 'Incorrect or expired code.',
};
const ALREADY_USED: Record<CodeError, ErrorCode> = {
  'totp.invalid_code': 'totp.already_used',
  'recovery.invalid_code': 'recovery.already_used',
};

/**
 * A code refused counts against the flow (its last refusal ends it). `instead` is the
 * answer when the code was not the reason: the account is locked, so no code would do, and
 * "incorrect or expired" would send its owner to their phone's clock.
 */
export async function refuseCode(deps: CoreDeps, found: CookieFlow, code: RefusedCode = 'totp.invalid_code', instead?: GatehouseError): Promise<never> {
  const failures = await countTotpFailure(deps.db, found.flow);
  // The account's state outranks the flow's cap: a fifth wrong code that also locks the
  // account (the default threshold is five too) says it is locked, or its owner would meet
  // the password step's one answer for every failure for the whole lock, never told why.
  if (failures >= MAX_TOTP_FAILURES) await endFlow(deps.db, found);
  if (instead) throw instead;
  if (failures >= MAX_TOTP_FAILURES) throw new GatehouseError('totp.too_many_attempts');
  throw new GatehouseError(code, { fields: { code: CODE_FIELD[code] } });
}

/**
 * Step three for an enrolled user: a second factor, counted against the account like a
 * password (so new flows bring no new guesses) and against the flow, through the one
 * code-acceptance path (code-attempt.ts). A right but already used code counts against
 * neither: it is the losing twin of a success, not a guess; nor does a copy refused because
 * its twin on this flow held the slot (attempts-in-flight.ts).
 */
async function secondFactor(
  deps: CoreDeps,
  flowToken: string | undefined,
  meta: RequestMeta,
  factor: {
    amr: string[];
    error: CodeError;
    detail?: Record<string, unknown>;
    code: (user: UserRow) => OneTimeCode;
    /** An app code's time step, when right: the login may finish at once (acceptAppCodeAtOnce). */
    appStep?: (user: UserRow) => number | null;
  },
) {
  // One read: the flow, its user, the company's policy and the user's key count.
  const { subject, ...found } = await requireFlowWithSubjectAt(deps, flowToken, 'totp');
  const { flow } = found;
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  assertThat(subject, 'login.flow_expired');
  const { user, policy } = subject;
  const demand = keyDemandOf(user, policy, subject.keys);
  // The company requires a key of this user, who has one: the app's code is not enough.
  if (demand.keyOnly && factor.error === 'totp.invalid_code') throw new GatehouseError('login.key_required');
  const who = { companyId: user.company_id, userId: user.id };
  // A wrong code that uses up the slots locks the account, recorded after this factor.
  const target = { ...who, ip: meta.ip, userAgent: meta.userAgent, after: factor.error === 'totp.invalid_code' ? 'totp' : 'recovery_code' };
  const rule = lockoutRuleOf(policy);
  const step = demand.mustAddKey ? null : (factor.appStep?.(user) ?? null);
  const atOnce = step === null ? undefined : loginRows(deps, flow, who, meta, factor, policy);
  const outcome =
    (step !== null && atOnce && (await acceptAppCodeAtOnce(deps, target, step, rule, flow, atOnce.inserts, policy.ipAllowlist)) ? { kind: 'accepted' as const, value: atOnce.result } : undefined) ??
    (await acceptCode(
      deps,
      target,
      factor.code(user),
      async (tx) => {
        const finished = await finishUnlessKeyDemanded(deps, tx, found, meta, factor, { policy, demand });
        // A recovery code is spent in this transaction: its owner is told, with it.
        if (factor.error === 'recovery.invalid_code') await queueSecurityNotice(deps, tx, who, 'recovery_code_used');
        // The login goes on to add a key: the code's attempt slot goes back (a session clears
        // the count instead), and the flow, not consumed but renamed, no longer counts this
        // request in flight.
        if ('flowToken' in finished) {
          await releaseAttempt(tx, user.company_id, user.id);
          await answeredInFlight(tx, { id_hash: hashToken(finished.flowToken) });
        }
        return finished;
      },
      { countClearedByAct: true, rule, flow },
    ));
  switch (outcome.kind) {
    case 'accepted':
      if (factor.error === 'recovery.invalid_code') deps.mailQueued();
      if ('flowToken' in outcome.value) return { step: 'key_enroll' as const, flowToken: outcome.value.flowToken };
      return { ...outcome.value, step: 'done' as LoginStep, redirectTo: flow.return_to };
    case 'already_used':
      throw new GatehouseError(ALREADY_USED[factor.error]);
    case 'twin_in_flight':
      throw twinAnswer();
    case 'wrong':
      // The guess that locks the account says so: the next one would be refused whatever it is.
      return refuseCode(deps, found, factor.error, outcome.locked ? await lockedRefusal(deps, who) : undefined);
    case 'locked':
      return refuseCode(deps, found, factor.error, await lockedRefusal(deps, who));
  }
}

/** The code from the authenticator app; its time step is recorded, so it works once. */
export async function checkTotp(deps: CoreDeps, flowToken: string | undefined, code: string, meta: RequestMeta) {
  return secondFactor(deps, flowToken, meta, {
    amr: ['pwd', 'otp'],
    error: 'totp.invalid_code',
    code: (user) => appCode(deps, user, code),
    appStep: (user) => appCodeStep(deps, user, code),
  });
}

/**
 * A recovery code instead of the app's code. Its `amr` is ["pwd", "mfa"] (RFC 8176: more
 * than one factor, and no one-time password from the app), so modules can tell.
 */
export async function checkRecoveryCode(deps: CoreDeps, flowToken: string | undefined, code: string, meta: RequestMeta) {
  const key = deps.deriveKey('recovery-codes');
  return secondFactor(deps, flowToken, meta, {
    amr: ['pwd', 'mfa'],
    error: 'recovery.invalid_code',
    detail: { factor: 'recovery_code' },
    code: (user) => recoveryCode({ companyId: user.company_id, userId: user.id }, key, code, deps.clock()),
  });
}
