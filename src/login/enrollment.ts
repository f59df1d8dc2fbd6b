// The unskippable 2FA enrollment ("Your Security Matters", "Set Up 2FA"): a secret per
// flow, shown as a QR code and as text, kept only once the first code proves it works.
import { recordAudit } from '../audit/index.ts';
import {
  accountLabel,
  AUTHENTICATOR_APPS,
  groupSecret,
  matchTotpStep,
  newTotpSecret,
  otpauthUri,
  qrCodeDataUrl,
  replaceRecoveryCodes,
  TOTP_ISSUER,
} from '../credentials/index.ts';
import { getCompanyPolicy } from '../companies/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { getUser } from '../users/index.ts';
import { claimFirstEnrollment, refuseIfEnrolled } from './factors.ts';
import { setEnrollSecretOnce, type FlowRow } from './flows.ts';
import { requireFlowAt } from './flow-cookie.ts';
import { finishUnlessKeyDemanded, refuseCode } from './second-factor.ts';
import { keyDemandOf, type LoginStep } from './steps.ts';

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
  const { flow } = await requireFlowAt(deps, flowToken, 'enroll');
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  const user = await getUser(deps.db, flow.company_id, flow.user_id);
  const company = await deps.db.selectFrom('companies').select('name').where('id', '=', flow.company_id).executeTakeFirst();
  assertThat(user && company, 'login.flow_expired');
  await refuseIfEnrolled(deps.db, user);
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

/** The proved secret, kept encrypted; its code's time step is spent, so it cannot log in again. */
async function keepAppSecret(deps: CoreDeps, tx: Queryable, who: { companyId: string; userId: string }, secret: string, step: number) {
  const stored = await tx
    .updateTable('users')
    .set({
      totp_secret: deps.secrets.encrypt(secret, `totp:${who.userId}`),
      totp_enrolled_at: deps.clock(),
      totp_last_step: step,
    })
    .where('company_id', '=', who.companyId)
    .where('id', '=', who.userId)
    .where('totp_secret', 'is', null)
    .executeTakeFirst();
  if (Number(stored.numUpdatedRows) !== 1) throw new GatehouseError('login.flow_expired');
}

/**
 * The first code proves the app works; only then is the secret kept, encrypted, and ten
 * recovery codes made (returned this once; earlier ones, if any, stop working). Only while
 * the user still has no second factor (claimFirstEnrollment). The login then ends as the
 * code step ends one: with a session, or, where the company's policy wants a key, at the
 * step that adds one (key_enroll), the recovery codes answered all the same.
 */
export async function finishEnrollment(deps: CoreDeps, flowToken: string | undefined, code: string, meta: RequestMeta) {
  const found = await requireFlowAt(deps, flowToken, 'enroll');
  const { flow } = found;
  assertThat(flow.company_id && flow.user_id && flow.enroll_secret, 'login.wrong_step');
  const secret = deps.secrets.decrypt(flow.enroll_secret, `enroll:${flow.id_hash}`);
  const step = matchTotpStep(secret, code, deps.clock());
  if (step === null) return refuseCode(deps, found);
  const { company_id: companyId, user_id: userId } = flow;
  const done = await deps.db.transaction().execute(async (tx) => {
    const user = await claimFirstEnrollment(tx, { ...flow, company_id: companyId, user_id: userId });
    await keepAppSecret(deps, tx, { companyId, userId }, secret, step);
    await recordAudit(tx, deps.clock(), { companyId, actorId: userId, action: 'totp.enrolled', target: userId, ip: meta.ip, userAgent: meta.userAgent });
    const recoveryCodes = await replaceRecoveryCodes(tx, deps.deriveKey('recovery-codes'), companyId, userId, deps.clock());
    const policy = await getCompanyPolicy(tx, companyId);
    // The claim holds only for a user with no key, so the policy's demand is read at none.
    const demand = keyDemandOf(user, policy, 0);
    return { finished: await finishUnlessKeyDemanded(deps, tx, found, meta, { amr: ['pwd', 'otp'] }, { policy, demand }), recoveryCodes };
  });
  // On to adding a key, under the flow's new name (its cookie from now on).
  if ('flowToken' in done.finished) return { step: 'key_enroll' as const, flowToken: done.finished.flowToken, recoveryCodes: done.recoveryCodes };
  return { ...done.finished, recoveryCodes: done.recoveryCodes, step: 'done' as LoginStep, redirectTo: flow.return_to };
}
