// The login's side of single sign-on: a company whose provider is switched on sends its
// users to that provider instead of the password step; when the provider has vouched for
// a user (src/sso), the flow moves on to Gatehouse's own second factor, or, if the
// company trusts the provider's MFA and the assertion proved it, to one last call that
// mints the session. The flow stays bound to the browser that started it (its cookie),
// so an assertion posted by someone else's browser signs no one in there.
import { recordAudit } from '../audit/index.ts';
import { getCompanyPolicy, keyRequired, type CompanyPolicy } from '../companies/index.ts';
import { GatehouseError } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import type { UserRow } from '../users/index.ts';
import { countCredentials } from '../webauthn/index.ts';
import { stepAfterFirstFactor } from './factors.ts';
import { advanceFlow, moveFlowPastProof, type FlowRow } from './flows.ts';
import { requireFlowAt } from './flow-cookie.ts';
import { finishLogin } from './second-factor.ts';
import { currentStep, type LoginStep } from './steps.ts';

/** The company's provider that is switched on, if any (at most one is). */
export async function activeProvider(db: Queryable, companyId: string) {
  return db
    .selectFrom('sso_providers')
    .select(['id', 'name', 'kind'])
    .where('company_id', '=', companyId)
    .where('enabled', '=', 1)
    .executeTakeFirst();
}

/** "Use password instead": the password step; who may pass it is decided there. */
export async function choosePassword(deps: CoreDeps, flowToken: string | undefined) {
  const { flow } = await requireFlowAt(deps, flowToken, 'sso');
  if (!(await advanceFlow(deps.db, flow, 'password'))) throw new GatehouseError('login.wrong_step');
  return { step: 'password' as LoginStep };
}

/** The flow waiting for the provider, for src/sso to start a request bound to it. */
export async function flowAwaitingProvider(deps: CoreDeps, flowToken: string | undefined): Promise<FlowRow & { company_id: string }> {
  const { flow } = await requireFlowAt(deps, flowToken, 'sso');
  if (!flow.company_id) throw new GatehouseError('login.flow_expired');
  return { ...flow, company_id: flow.company_id };
}

/**
 * Whether the company's provider, having proved MFA, may stand in for Gatehouse's second
 * factor for `user`: not for a user the company's policy holds to a passkey or security
 * key (the key is asked for, or added), nor for a break-glass user, whose own password and
 * second factor are the way in when the provider cannot be relied on, so whoever controls
 * the provider must not stand in for them. Decided when the provider answers
 * (src/sso/sign-in.ts) and again when the session is made (finishTrustedLogin).
 */
export function providerMfaMayStandIn(policy: CompanyPolicy, user: Pick<UserRow, 'role' | 'sso_break_glass'>): boolean {
  return !keyRequired(policy, user.role) && user.sso_break_glass !== 1;
}

/**
 * Whether the flow (named by its hash, from the request the provider answered) still waits
 * for the provider: at its 'sso' step and not expired. Its row is locked (a write that
 * changes nothing), so on PostgreSQL "Use password instead" or an ending of the company's
 * logins either commits before (and this finds it) or waits for the answer's transaction.
 * Asked before the answer creates or changes the user (src/sso/sign-in.ts): an answer the
 * sign-in cannot use (the person chose the password meanwhile, or the flow ran out while
 * they were at the provider) must change no account.
 */
export async function holdFlowForProvider(tx: Queryable, flowHash: string, companyId: string, now: number): Promise<boolean> {
  const held = await tx
    .updateTable('login_flows')
    .set((eb) => ({ step: eb.ref('step') }))
    .where('id_hash', '=', flowHash)
    .where('company_id', '=', companyId)
    .where('step', '=', 'sso')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(held.numUpdatedRows) === 1;
}

/**
 * The provider vouched for `user`: the flow (named by its hash, from the request the
 * provider answered) moves from 'sso' to the next step, in the caller's transaction: the
 * session when the company trusts the provider's MFA and it was proved, else the step the
 * password would lead to (stepAfterFirstFactor: a key counts as much as the app). Past the
 * provider's proof, so the flow is renamed (flows.ts moveFlowPastProof): `flowToken` is
 * its cookie from now on, for the redirect back to the login page to set, and `loginId`
 * the login's id, which it keeps (the browser's cookie names it: src/sso/sign-in.ts
 * AnsweringBrowser). Null when the flow is gone, expired, or already moved on.
 */
export async function continueAfterProvider(
  tx: Queryable,
  input: { flowHash: string; loginId: string; companyId: string; user: Pick<UserRow, 'id' | 'totp_secret' | 'enroll_mail_proof'>; providerMfaTrusted: boolean },
  now: number,
): Promise<{ next: LoginStep; flowToken: string } | null> {
  const { user } = input;
  const next = input.providerMfaTrusted ? 'sso_trusted' : stepAfterFirstFactor(user, await countCredentials(tx, input.companyId, user.id));
  const flowToken = await moveFlowPastProof(tx, { id_hash: input.flowHash, step: 'sso' }, next, input.loginId, (move) =>
    move.set({ user_id: user.id, first_factor: 'fed' }).where('company_id', '=', input.companyId).where('expires_at', '>', now),
  );
  return flowToken ? { next, flowToken } : null;
}

/**
 * Ends the company's logins a provider has vouched for that have not finished (at the
 * session step 'sso_trusted', or at the second factor or its enrollment after a provider's
 * answer): a Master who switches a provider off, removes it or changes its settings (its
 * MFA no longer trusted, another username attribute) withdraws what those logins stand on.
 * In the change's transaction; such a browser signs in again under the settings now in force.
 */
export async function endFederatedLogins(tx: Queryable, companyId: string): Promise<void> {
  await tx.deleteFrom('login_flows').where('company_id', '=', companyId).where('first_factor', '=', 'fed').execute();
}

/**
 * The provider proved MFA and the company trusts it: the session, amr ["fed", "mfa"];
 * unless its MFA may no longer stand in (providerMfaMayStandIn). The provider's answer was
 * checked then (src/sso/sign-in.ts), but the flow may wait here for minutes while a Master
 * or an API client tightens the policy, promotes the user or names them break-glass, so
 * the policy and the user are read again in the transaction that would mint the session. Such
 * a login goes on as after a password: to the code step, where the key is asked for, or to
 * setting up a second factor (then adding a key), and the browser's answer names that step.
 */
export async function finishTrustedLogin(deps: CoreDeps, flowToken: string | undefined, meta: RequestMeta) {
  const { flow } = await requireFlowAt(deps, flowToken, 'sso_trusted');
  const { company_id: companyId, user_id: userId } = flow;
  if (!companyId || !userId) throw new GatehouseError('login.flow_expired');
  const done = await deps.db.transaction().execute(async (tx) => {
    const policy = await getCompanyPolicy(tx, companyId);
    const user = await tx.selectFrom('users').select(['role', 'totp_secret', 'enroll_mail_proof', 'sso_break_glass']).where('company_id', '=', companyId).where('id', '=', userId).executeTakeFirst();
    if (user && !providerMfaMayStandIn(policy, user)) {
      const next = stepAfterFirstFactor(user, await countCredentials(tx, companyId, userId));
      if (!(await advanceFlow(tx, flow, next))) throw new GatehouseError('login.wrong_step');
      return { next };
    }
    // It stands in only where no key is asked of the user (providerMfaMayStandIn).
    return finishLogin(deps, tx, flow, meta, { amr: ['fed', 'mfa'], detail: { factor: 'provider_mfa' } }, { keyFree: true, providerMfa: true });
  });
  // Where the login now stands, as the page reads it at any step.
  if ('next' in done) return currentStep(deps, flowToken);
  return { ...done, step: 'done' as LoginStep, redirectTo: flow.return_to };
}

export async function auditProviderLogin(db: Queryable, now: number, event: { companyId: string; userId: string; providerId: string; next: string; meta: RequestMeta }) {
  await recordAudit(db, now, {
    companyId: event.companyId,
    actorId: event.userId,
    action: 'sso.login_vouched',
    target: event.userId,
    ip: event.meta.ip,
    userAgent: event.meta.userAgent,
    detail: { provider: event.providerId, next: event.next },
  });
}
