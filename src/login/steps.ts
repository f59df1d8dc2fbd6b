// The identifier-first login: Username + Company Name, then Password, then the TOTP code
// (or the unskippable 2FA enrollment). Only the last step creates a session, in the same
// transaction that consumes the flow and records the used TOTP step.
import { recordAudit } from '../audit/index.ts';
import { findCompanyByName } from '../companies/index.ts';
import {
  accountLabel,
  AUTHENTICATOR_APPS,
  groupSecret,
  matchTotpStep,
  newTotpSecret,
  otpauthUri,
  qrCodeDataUrl,
  TOTP_ISSUER,
} from '../credentials/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { createSession } from '../sessions/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { findUserByUsername, getUser } from '../users/index.ts';
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
import { clearFailures, lockIfExhausted, releaseAttempt, reserveAttempt } from './lockout.ts';

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
  const slot = await reserveAttempt(deps.db, user.company_id, user.id, deps.clock());
  if (slot === null) {
    await deps.hasher.verifyDummy(password);
    return rejectCredentials(deps, flow, meta, 'locked');
  }
  const matches = await deps.hasher.verify(user.password_hash, password);
  if (!matches) {
    const locked = await lockIfExhausted(deps.db, user.company_id, user.id, slot, deps.clock());
    return rejectCredentials(deps, flow, meta, locked ? 'wrong_password_locked' : 'wrong_password');
  }
  await releaseAttempt(deps.db, user.company_id, user.id);
  if (user.status !== 'active') return rejectCredentials(deps, flow, meta, 'user_disabled');
  const company = await deps.db.selectFrom('companies').select('status').where('id', '=', user.company_id).executeTakeFirst();
  if (company?.status !== 'active') return rejectCredentials(deps, flow, meta, 'company_suspended');

  const next = user.totp_secret ? 'totp' : 'enroll';
  if (!(await advanceFlow(deps.db, flow, next))) throw new GatehouseError('login.wrong_step');
  return { step: next as LoginStep };
}

async function finishLogin(deps: CoreDeps, tx: Queryable, flow: FlowRow, meta: RequestMeta, action: string) {
  const now = deps.clock();
  if (!(await consumeFlow(tx, flow))) throw new GatehouseError('login.flow_expired');
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  await clearFailures(tx, flow.company_id, flow.user_id);
  const sessionToken = await createSession(
    tx,
    { companyId: flow.company_id, userId: flow.user_id, amr: ['pwd', 'otp'], ip: meta.ip, userAgent: meta.userAgent },
    now,
  );
  await recordAudit(tx, now, {
    companyId: flow.company_id,
    actorId: flow.user_id,
    action,
    target: flow.user_id,
    ip: meta.ip,
    userAgent: meta.userAgent,
  });
  return sessionToken;
}

async function refuseCode(deps: CoreDeps, flow: FlowRow, flowToken: string | undefined): Promise<never> {
  const failures = await countTotpFailure(deps.db, flow);
  if (failures >= MAX_TOTP_FAILURES) {
    await deleteFlow(deps.db, flowToken);
    throw new GatehouseError('totp.too_many_attempts');
  }
  throw new GatehouseError('totp.invalid_code', { fields: { code: 'Incorrect or expired code.' } });
}

/** Step three for an enrolled user: the code from the authenticator app. */
export async function checkTotp(deps: CoreDeps, flowToken: string | undefined, code: string, meta: RequestMeta) {
  const flow = await requireFlowAt(deps.db, flowToken, 'totp', deps.clock());
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  const user = await getUser(deps.db, flow.company_id, flow.user_id);
  assertThat(user?.totp_secret, 'login.flow_expired');
  // Codes count against the account like passwords, so new flows bring no new guesses.
  const slot = await reserveAttempt(deps.db, user.company_id, user.id, deps.clock());
  if (slot === null) return refuseCode(deps, flow, flowToken);
  const refuseCounted = async () => {
    await lockIfExhausted(deps.db, user.company_id, user.id, slot, deps.clock());
    return refuseCode(deps, flow, flowToken);
  };
  const secret = deps.secrets.decrypt(user.totp_secret, `totp:${user.id}`);
  const step = matchTotpStep(secret, code, deps.clock());
  if (step === null) return refuseCounted();
  try {
    const sessionToken = await deps.db.transaction().execute(async (tx) => {
      // The step is recorded atomically: a code (or an older one) is never accepted twice.
      const accepted = await tx
        .updateTable('users')
        .set({ totp_last_step: step })
        .where('company_id', '=', user.company_id)
        .where('id', '=', user.id)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      if (Number(accepted.numUpdatedRows) !== 1) throw new GatehouseError('totp.invalid_code');
      return finishLogin(deps, tx, flow, meta, 'login.succeeded');
    });
    return { sessionToken, step: 'done' as LoginStep, redirectTo: flow.return_to };
  } catch (error) {
    if (error instanceof GatehouseError && error.code === 'totp.invalid_code') return refuseCounted();
    throw error;
  }
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

/** The first code proves the app works; only then is the secret kept, encrypted. */
export async function finishEnrollment(deps: CoreDeps, flowToken: string | undefined, code: string, meta: RequestMeta) {
  const flow = await requireFlowAt(deps.db, flowToken, 'enroll', deps.clock());
  assertThat(flow.company_id && flow.user_id && flow.enroll_secret, 'login.wrong_step');
  const secret = deps.secrets.decrypt(flow.enroll_secret, `enroll:${flow.id_hash}`);
  const step = matchTotpStep(secret, code, deps.clock());
  if (step === null) return refuseCode(deps, flow, flowToken);
  const { company_id: companyId, user_id: userId } = flow;
  const sessionToken = await deps.db.transaction().execute(async (tx) => {
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
    return finishLogin(deps, tx, flow, meta, 'login.succeeded');
  });
  return { sessionToken, step: 'done' as LoginStep, redirectTo: flow.return_to };
}

export { deleteFlow as abandonFlow };
