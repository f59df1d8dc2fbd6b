// The identifier-first login: Username + Company Name, then Password, then the TOTP code
// or a recovery code (or the unskippable 2FA enrollment). Only the last step creates a
// session, in the same transaction that consumes the flow and uses up the code.
import { recordAudit } from '../audit/index.ts';
import { findCompanyByName, getCompanyPolicy, ipAllowed } from '../companies/index.ts';
import {
  accountLabel,
  AUTHENTICATOR_APPS,
  groupSecret,
  consumeRecoveryCode,
  matchTotpStep,
  newTotpSecret,
  otpauthUri,
  qrCodeDataUrl,
  replaceRecoveryCodes,
  TOTP_ISSUER,
} from '../credentials/index.ts';
import { assertThat, GatehouseError, type ErrorCode } from '../errors.ts';
import { createSession } from '../sessions/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { findUserByUsername, getUser, type UserRow } from '../users/index.ts';
import {
  advanceFlow,
  consumeFlow,
  countTotpFailure,
  createFlow,
  deleteFlow,
  findFlow,
  requireFlowAt,
  setEnrollSecretOnce,
  type FlowRow,
} from './flows.ts';
import { clearFailures, lockIfExhausted, lockoutRuleFor, lockoutRuleOf, releaseAttempt, reserveAttempt } from './lockout.ts';

export const MAX_TOTP_FAILURES = 5;
const NO_SUCH_ID = '00000000-0000-0000-0000-000000000000';

export type LoginStep = 'identify' | 'password' | 'totp' | 'enroll' | 'done';

export async function currentStep(deps: CoreDeps, flowToken: string | undefined) {
  const flow = await findFlow(deps.db, flowToken, deps.clock());
  if (!flow) return { step: 'identify' as LoginStep };
  return { step: flow.step as LoginStep, username: flow.username, companyName: flow.company_name };
}

/** Step one. Always moves on to the password: nothing here tells whether names exist. */
export async function identify(
  deps: CoreDeps,
  input: { username: string; companyName: string; returnTo?: string | undefined },
) {
  const company = await findCompanyByName(deps.db, input.companyName);
  // The user lookup runs either way, so both branches cost the same.
  const user = await findUserByUsername(deps.db, company?.id ?? NO_SUCH_ID, input.username);
  const flowToken = await createFlow(
    deps.db,
    {
      companyId: company?.id ?? null,
      userId: user?.id ?? null,
      username: input.username.trim(),
      companyName: input.companyName.trim(),
      returnTo: input.returnTo ?? null,
    },
    deps.clock(),
  );
  return { flowToken, step: 'password' as const, username: input.username.trim(), companyName: input.companyName.trim() };
}

async function rejectCredentials(deps: CoreDeps, flow: FlowRow, meta: RequestMeta, reason: string): Promise<never> {
  await recordAudit(deps.db, deps.clock(), {
    companyId: flow.company_id,
    actorId: flow.user_id,
    action: 'login.failed',
    target: flow.user_id,
    ip: meta.ip,
    userAgent: meta.userAgent,
    detail: { reason },
  });
  throw new GatehouseError('login.invalid_credentials');
}

/** Step two. Every failure (unknown, wrong, locked, disabled) is the same answer. */
export async function checkPassword(deps: CoreDeps, flowToken: string | undefined, password: string, meta: RequestMeta) {
  const flow = await requireFlowAt(deps.db, flowToken, 'password', deps.clock());
  const user = flow.company_id && flow.user_id ? await getUser(deps.db, flow.company_id, flow.user_id) : undefined;
  if (!user || !user.password_hash) {
    await deps.hasher.verifyDummy(password);
    return rejectCredentials(deps, flow, meta, user ? 'not_signed_up' : 'unknown_user');
  }
  const policy = await getCompanyPolicy(deps.db, user.company_id);
  const rule = lockoutRuleOf(policy);
  const slot = await reserveAttempt(deps.db, user.company_id, user.id, deps.clock(), rule);
  if (slot === null) {
    await deps.hasher.verifyDummy(password);
    return rejectCredentials(deps, flow, meta, 'locked');
  }
  const matches = await deps.hasher.verify(user.password_hash, password);
  if (!matches) {
    const locked = await lockIfExhausted(deps.db, user.company_id, user.id, slot, deps.clock(), rule);
    if (locked) await recordAudit(deps.db, deps.clock(), { companyId: user.company_id, actorId: user.id, action: 'login.locked', target: user.id, ip: meta.ip, userAgent: meta.userAgent, detail: { after: 'password' } });
    return rejectCredentials(deps, flow, meta, locked ? 'wrong_password_locked' : 'wrong_password');
  }
  await releaseAttempt(deps.db, user.company_id, user.id);
  if (user.status !== 'active') return rejectCredentials(deps, flow, meta, 'user_disabled');
  const company = await deps.db.selectFrom('companies').select('status').where('id', '=', user.company_id).executeTakeFirst();
  if (company?.status !== 'active') return rejectCredentials(deps, flow, meta, 'company_suspended');
  // Only now, with the password proved, may the answer differ: the company's allowlist.
  if (!ipAllowed(policy.ipAllowlist, meta.ip)) {
    await deleteFlow(deps.db, flowToken);
    await recordAudit(deps.db, deps.clock(), {
      companyId: user.company_id,
      actorId: user.id,
      action: 'login.ip_refused',
      target: user.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    throw new GatehouseError('login.ip_not_allowed');
  }

  const next = user.totp_secret ? 'totp' : 'enroll';
  if (!(await advanceFlow(deps.db, flow, next))) throw new GatehouseError('login.wrong_step');
  return { step: next as LoginStep };
}

/** The session for a finished login, as long as the company's session limit allows. */
async function finishLogin(
  deps: CoreDeps,
  tx: Queryable,
  flow: FlowRow,
  meta: RequestMeta,
  factor: { amr: string[]; detail?: Record<string, unknown> },
) {
  const now = deps.clock();
  if (!(await consumeFlow(tx, flow))) throw new GatehouseError('login.flow_expired');
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  await clearFailures(tx, flow.company_id, flow.user_id);
  await tx.updateTable('users').set({ last_login_at: now }).where('company_id', '=', flow.company_id).where('id', '=', flow.user_id).execute();
  const sessionTtlMs = (await getCompanyPolicy(tx, flow.company_id)).sessionAbsoluteMinutes * 60_000;
  const sessionToken = await createSession(
    tx,
    { companyId: flow.company_id, userId: flow.user_id, amr: factor.amr, ip: meta.ip, userAgent: meta.userAgent, ttlMs: sessionTtlMs },
    now,
  );
  await recordAudit(tx, now, {
    companyId: flow.company_id,
    actorId: flow.user_id,
    action: 'login.succeeded',
    target: flow.user_id,
    ip: meta.ip,
    userAgent: meta.userAgent,
    ...(factor.detail ? { detail: factor.detail } : {}),
  });
  return { sessionToken, sessionTtlMs };
}

type CodeError = Extract<ErrorCode, 'totp.invalid_code' | 'recovery.invalid_code'>;
const CODE_FIELD: Record<CodeError, string> = {
  'totp.invalid_code': 'Incorrect or expired code.',
  'recovery.invalid_code': 'Incorrect or already used recovery code.',
};

async function refuseCode(deps: CoreDeps, flow: FlowRow, flowToken: string | undefined, code: CodeError = 'totp.invalid_code'): Promise<never> {
  const failures = await countTotpFailure(deps.db, flow);
  if (failures >= MAX_TOTP_FAILURES) {
    await deleteFlow(deps.db, flowToken);
    throw new GatehouseError('totp.too_many_attempts');
  }
  throw new GatehouseError(code, { fields: { code: CODE_FIELD[code] } });
}

/**
 * Step three for an enrolled user: a second factor, counted against the account like a
 * password (so new flows bring no new guesses) and against the flow. `useUp` takes the
 * factor atomically in the transaction that creates the session, or returns false.
 */
async function secondFactor(
  deps: CoreDeps,
  flowToken: string | undefined,
  meta: RequestMeta,
  factor: { amr: string[]; error: CodeError; detail?: Record<string, unknown>; useUp: (tx: Queryable, user: UserRow) => Promise<boolean> },
) {
  const flow = await requireFlowAt(deps.db, flowToken, 'totp', deps.clock());
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  const user = await getUser(deps.db, flow.company_id, flow.user_id);
  assertThat(user?.totp_secret, 'login.flow_expired');
  const rule = await lockoutRuleFor(deps.db, user.company_id);
  const slot = await reserveAttempt(deps.db, user.company_id, user.id, deps.clock(), rule);
  if (slot === null) return refuseCode(deps, flow, flowToken, factor.error);
  const refused = new GatehouseError(factor.error);
  try {
    const session = await deps.db.transaction().execute(async (tx) => {
      if (!(await factor.useUp(tx, user))) throw refused;
      return finishLogin(deps, tx, flow, meta, factor);
    });
    return { ...session, step: 'done' as LoginStep, redirectTo: flow.return_to };
  } catch (error) {
    if (error !== refused) throw error;
    if (await lockIfExhausted(deps.db, user.company_id, user.id, slot, deps.clock(), rule)) await recordAudit(deps.db, deps.clock(), { companyId: user.company_id, actorId: user.id, action: 'login.locked', target: user.id, ip: meta.ip, userAgent: meta.userAgent, detail: { after: factor.error === 'totp.invalid_code' ? 'totp' : 'recovery_code' } });
    return refuseCode(deps, flow, flowToken, factor.error);
  }
}

/** The code from the authenticator app; its time step is recorded, so it works once. */
export async function checkTotp(deps: CoreDeps, flowToken: string | undefined, code: string, meta: RequestMeta) {
  return secondFactor(deps, flowToken, meta, {
    amr: ['pwd', 'otp'],
    error: 'totp.invalid_code',
    useUp: async (tx, user) => {
      const step = matchTotpStep(deps.secrets.decrypt(user.totp_secret as string, `totp:${user.id}`), code, deps.clock());
      if (step === null) return false;
      // The step is recorded atomically: a code (or an older one) is never accepted twice.
      const accepted = await tx
        .updateTable('users')
        .set({ totp_last_step: step })
        .where('company_id', '=', user.company_id)
        .where('id', '=', user.id)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      return Number(accepted.numUpdatedRows) === 1;
    },
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
    useUp: (tx, user) => consumeRecoveryCode(tx, key, user.company_id, user.id, code, deps.clock()),
  });
}

async function enrollmentSecret(deps: CoreDeps, flow: FlowRow): Promise<string> {
  const context = `enroll:${flow.id_hash}`;
  if (!flow.enroll_secret) {
    await setEnrollSecretOnce(deps.db, flow, deps.secrets.encrypt(newTotpSecret(), context));
    const reread = await deps.db
      .selectFrom('login_flows')
      .select('enroll_secret')
      .where('id_hash', '=', flow.id_hash)
      .executeTakeFirst();
    assertThat(reread?.enroll_secret, 'login.flow_expired');
    return deps.secrets.decrypt(reread.enroll_secret, context);
  }
  return deps.secrets.decrypt(flow.enroll_secret, context);
}

/** "Set Up 2FA": the secret for this flow (the same one on every call), as QR and text. */
export async function startEnrollment(deps: CoreDeps, flowToken: string | undefined) {
  const flow = await requireFlowAt(deps.db, flowToken, 'enroll', deps.clock());
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  const user = await getUser(deps.db, flow.company_id, flow.user_id);
  const company = await deps.db.selectFrom('companies').select('name').where('id', '=', flow.company_id).executeTakeFirst();
  assertThat(user && company, 'login.flow_expired');
  const secret = await enrollmentSecret(deps, flow);
  const uri = otpauthUri(secret, company.name, user.username);
  return {
    qrCodeDataUrl: await qrCodeDataUrl(uri),
    secret,
    secretGrouped: groupSecret(secret),
    issuer: TOTP_ISSUER,
    accountName: accountLabel(company.name, user.username),
    apps: [...AUTHENTICATOR_APPS],
  };
}

/**
 * The first code proves the app works; only then is the secret kept, encrypted, and ten
 * recovery codes made (returned this once; earlier ones, if any, stop working).
 */
export async function finishEnrollment(deps: CoreDeps, flowToken: string | undefined, code: string, meta: RequestMeta) {
  const flow = await requireFlowAt(deps.db, flowToken, 'enroll', deps.clock());
  assertThat(flow.company_id && flow.user_id && flow.enroll_secret, 'login.wrong_step');
  const secret = deps.secrets.decrypt(flow.enroll_secret, `enroll:${flow.id_hash}`);
  const step = matchTotpStep(secret, code, deps.clock());
  if (step === null) return refuseCode(deps, flow, flowToken);
  const { company_id: companyId, user_id: userId } = flow;
  const done = await deps.db.transaction().execute(async (tx) => {
    const stored = await tx
      .updateTable('users')
      .set({
        totp_secret: deps.secrets.encrypt(secret, `totp:${userId}`),
        totp_enrolled_at: deps.clock(),
        totp_last_step: step, // the enrollment code cannot be used again to log in
      })
      .where('company_id', '=', companyId)
      .where('id', '=', userId)
      .where('totp_secret', 'is', null)
      .executeTakeFirst();
    if (Number(stored.numUpdatedRows) !== 1) throw new GatehouseError('login.flow_expired');
    await recordAudit(tx, deps.clock(), { companyId, actorId: userId, action: 'totp.enrolled', target: userId, ip: meta.ip, userAgent: meta.userAgent });
    const recoveryCodes = await replaceRecoveryCodes(tx, deps.deriveKey('recovery-codes'), companyId, userId, deps.clock());
    return { ...(await finishLogin(deps, tx, flow, meta, { amr: ['pwd', 'otp'] })), recoveryCodes };
  });
  return { ...done, step: 'done' as LoginStep, redirectTo: flow.return_to };
}

export { deleteFlow as abandonFlow };
