// Logging in with a passkey or security key. As a second factor, at the code step, in
// place of the app's code; and passwordless, where a discoverable credential names the
// user and company and, with user verification, stands for password and code together.
// Each ceremony's challenge is bound to the login flow and taken once; the flow is
// consumed and the session made in the transaction that records the key's new counter.
import { recordAudit } from '../audit/index.ts';
import { ipAllowed } from '../companies/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { getUser } from '../users/index.ts';
import {
  assertRoomForKey,
  registerKey,
  registrationOptions,
  type RegistrationResponseJSON,
  authenticationOptions,
  findDiscoverableCredential,
  findUserCredential,
  keyAmr,
  listCredentials,
  listSwitchedOnCredentials,
  recordUse,
  saveChallenge,
  verifyAssertion,
  type AuthenticationResponseJSON,
  type CredentialRow,
} from '../webauthn/index.ts';
import { replaceRecoveryCodes } from '../credentials/index.ts';
import { readLoginSubject } from './login-subject.ts';
import { hashToken } from '../crypto/index.ts';
import { claimFirstEnrollment, refuseIfEnrolled } from './factors.ts';
import { advanceFlow, countTotpFailure, createFlow } from './flows.ts';
import { endFlow, requireFlowAt, type CookieFlow } from './flow-cookie.ts';
import { finishLogin } from './second-factor.ts';
import { lockUserFirst } from './lockout.ts';
import { answeringFor, takeFlowChallenge, twinAnswer } from './attempts-in-flight.ts';
import { MAX_TOTP_FAILURES, secondFactorsOf } from './steps.ts';
import { recordAnonymousRefusal, requireAnonymousWrite } from '../shared/anonymous-writes.ts';
import { recordCopiedKey } from './key-copy.ts';

/**
 * A wrong answer counts against the flow like a wrong code; enough of them end it (not an
 * answer whose challenge a twin of it took: flowChallenge). A passkey login's flow names
 * nobody until a key signs, so its refusals are anyone's to cause, with any garbage:
 * recorded up to the network's cap (anonymous-writes.ts). A clone needs the key's own
 * signature, and a flow past the password is someone's.
 */
async function refuseKey(deps: CoreDeps, found: CookieFlow, meta: RequestMeta, reason: string, row?: CredentialRow): Promise<never> {
  const { flow } = found;
  if (reason === 'cloned' && row) await recordCopiedKey(deps, row, meta);
  else {
    await (flow.user_id === null ? recordAnonymousRefusal : recordAudit)(deps.db, deps.clock(), {
      companyId: row?.company_id ?? flow.company_id,
      actorId: row?.user_id ?? flow.user_id,
      action: 'login.failed',
      target: row?.user_id ?? flow.user_id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { factor: 'webauthn', reason, ...(row ? { keyId: row.id, name: row.name, counter: row.counter } : {}) },
    });
  }
  if ((await countTotpFailure(deps.db, flow)) >= MAX_TOTP_FAILURES) {
    await endFlow(deps.db, found);
    throw new GatehouseError('totp.too_many_attempts');
  }
  throw new GatehouseError('webauthn.not_accepted');
}

/** The key's answer checked against the taken challenge: its proof, or the answer every refused key gets. */
async function provedByKey(
  deps: CoreDeps,
  found: CookieFlow,
  row: CredentialRow,
  challenge: string,
  response: AuthenticationResponseJSON,
  meta: RequestMeta,
  requireUserVerification: boolean,
) {
  const outcome = await verifyAssertion(deps.config, response, challenge, row, requireUserVerification);
  if (outcome.kind === 'refused') return refuseKey(deps, found, meta, 'invalid_assertion', row);
  if (outcome.kind === 'switched_off') return refuseKey(deps, found, meta, 'key_switched_off', row);
  if (outcome.kind === 'cloned') return refuseKey(deps, found, meta, 'cloned', row);
  return outcome;
}

/** A key that proved itself: in one transaction, records the use and signs in. */
async function signInWithKey(
  deps: CoreDeps,
  found: CookieFlow,
  row: CredentialRow,
  proof: { newCounter: number; userVerified: boolean },
  meta: RequestMeta,
  amrBefore: string[],
) {
  const { flow } = found;
  const signedIn = { ...flow, company_id: row.company_id, user_id: row.user_id };
  const amr = [...amrBefore, ...keyAmr(row), ...(amrBefore.length === 0 ? ['mfa'] : [])];
  const done = await deps.db.transaction().execute(async (tx) => {
    // The user's row before the key, the flow and the session (lockout.ts, LOCK ORDER).
    await lockUserFirst(tx, row.company_id, row.user_id);
    // The counter moves only from the value read: a raced twin loses here.
    if (!(await recordUse(tx, row, proof.newCounter, proof.userVerified, deps.clock()))) throw new GatehouseError('webauthn.not_accepted');
    await recordAudit(tx, deps.clock(), {
      companyId: row.company_id,
      actorId: row.user_id,
      action: 'webauthn.used',
      target: row.user_id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { keyId: row.id, name: row.name, userVerified: proof.userVerified, passwordless: amrBefore.length === 0 },
    });
    return finishLogin(deps, tx, signedIn, meta, { amr, detail: { factor: 'webauthn', keyId: row.id } }, { keyFree: false });
  });
  return { ...done, step: 'done' as const, redirectTo: flow.return_to };
}

/** At the code step: the options for navigator.credentials.get(), listing this user's keys still switched on. */
export async function keyChallengeForSecondFactor(deps: CoreDeps, flowToken: string | undefined) {
  const { flow } = await requireFlowAt(deps, flowToken, 'totp');
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  const keys = await listSwitchedOnCredentials(deps.db, flow.company_id, flow.user_id);
  if (keys.length === 0) throw new GatehouseError('webauthn.none_registered');
  const options = await authenticationOptions(deps.config, keys, 'preferred');
  await saveChallenge(deps.db, { bindingHash: flow.id_hash, purpose: 'second_factor', companyId: flow.company_id, userId: flow.user_id, challenge: options.challenge }, deps.clock());
  return options;
}

/** At the code step: the key's answer instead of the app's code. */
export async function checkSecondFactorKey(deps: CoreDeps, flowToken: string | undefined, response: AuthenticationResponseJSON, meta: RequestMeta) {
  const found = await requireFlowAt(deps, flowToken, 'totp');
  const { flow } = found;
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  const { company_id: companyId, user_id: userId } = flow;
  const pending = await flowChallenge(deps, found, 'second_factor', meta);
  return answeringFor(deps.db, flow, true, async () => {
    const row = await findUserCredential(deps.db, companyId, userId, response.id);
    if (!row) return refuseKey(deps, found, meta, 'unknown_key');
    const proof = await provedByKey(deps, found, row, pending.challenge, response, meta, false);
    return signInWithKey(deps, found, row, proof, meta, ['pwd']);
  });
}

/**
 * The flow's challenge, taken once, with the request counted in flight on the flow
 * (attempts-in-flight.ts; the caller answers for it). Without one: a twin of this request
 * took it and is still in flight, "try again", counted against nothing; else the refusal
 * every missing challenge gets.
 */
async function flowChallenge(deps: CoreDeps, found: CookieFlow, purpose: 'second_factor' | 'passwordless' | 'enroll', meta: RequestMeta) {
  const taken = await takeFlowChallenge(deps.db, found.flow, purpose, deps.clock());
  if (taken.challenge) return taken.challenge;
  if (taken.twin) throw twinAnswer();
  // A flow ended meanwhile (another login enrolled first) is over, as every step says.
  if (taken.gone) throw new GatehouseError('login.flow_expired');
  return refuseKey(deps, found, meta, 'no_challenge');
}

/**
 * "Log in with a passkey": a flow with no names yet, and a challenge for any passkey of
 * this site; the browser shows its own chooser (one entry per company for a person in
 * several). User verification is required: the key stands for password and code. Two
 * rows for anyone who asks, so a client network may start only so many.
 */
export async function startPasskeyLogin(deps: CoreDeps, input: { returnTo?: string | undefined }, meta: RequestMeta) {
  await requireAnonymousWrite(deps.db, 'passkeyLoginStarts', meta.ip, deps.clock());
  const flowToken = await createFlow(deps.db, { companyId: null, userId: null, username: '', companyName: '', returnTo: input.returnTo ?? null, step: 'passkey' }, deps.clock());
  const options = await authenticationOptions(deps.config, 'discoverable', 'required');
  // The flow just made is named by its token's hash (flows.ts): nothing to read back.
  await saveChallenge(deps.db, { bindingHash: hashToken(flowToken), purpose: 'passwordless', companyId: null, userId: null, challenge: options.challenge }, deps.clock());
  return { flowToken, options };
}

const userIdOf = (userHandle: string | undefined) => {
  if (!userHandle) return undefined;
  const id = Buffer.from(userHandle, 'base64url').toString('utf8');
  return /^[0-9a-f-]{36}$/.test(id) ? id : undefined;
};

export async function finishPasskeyLogin(deps: CoreDeps, flowToken: string | undefined, response: AuthenticationResponseJSON, meta: RequestMeta) {
  const found = await requireFlowAt(deps, flowToken, 'passkey');
  const pending = await flowChallenge(deps, found, 'passwordless', meta);
  return answeringFor(deps.db, found.flow, true, () => passkeyAnswer(deps, found, pending, response, meta));
}

async function passkeyAnswer(deps: CoreDeps, found: CookieFlow, pending: { challenge: string }, response: AuthenticationResponseJSON, meta: RequestMeta) {
  const userId = userIdOf(response.response.userHandle);
  const row = userId ? await findDiscoverableCredential(deps.db, userId, response.id) : undefined;
  if (!row) return refuseKey(deps, found, meta, 'unknown_key');
  // The key proves itself first. A credential id and user handle are no secret (a key's
  // answers carry them): until the signature holds, the answer is the one every refused
  // key gets, whatever the user's or company's state, as the password step says nothing of
  // them before the password is proved.
  const proof = await provedByKey(deps, found, row, pending.challenge, response, meta, true);
  // One read: the user, the company's status, mode, provider and policy (login-subject.ts).
  const subject = await readLoginSubject(deps.db, row.company_id, row.user_id);
  if (subject?.user.status !== 'active' || !subject.companyActive) return refuseKey(deps, found, meta, 'user_disabled', row);
  // A passkey is a Gatehouse credential: where the company signs in only through its
  // provider, it signs in only its break-glass users, with the same answer as any refusal.
  if (subject.passwordClosedBySso) return refuseKey(deps, found, meta, 'sso_only', row);
  if (!ipAllowed(subject.policy.ipAllowlist, meta.ip)) {
    await endFlow(deps.db, found);
    await recordAudit(deps.db, deps.clock(), { companyId: row.company_id, actorId: row.user_id, action: 'login.ip_refused', target: row.user_id, ip: meta.ip, userAgent: meta.userAgent });
    throw new GatehouseError('login.ip_not_allowed');
  }
  return signInWithKey(deps, found, row, proof, meta, []);
}

/** The flow at one of the two steps where a key is added: first-login enrollment, or the policy's demand. */
async function flowAddingKey(deps: CoreDeps, flowToken: string | undefined) {
  const found = await requireFlowAt(deps, flowToken, ['enroll', 'key_enroll']);
  const { flow } = found;
  assertThat(flow.company_id && flow.user_id, 'login.flow_expired');
  return { found, flow: { ...flow, company_id: flow.company_id, user_id: flow.user_id } };
}

/** "Use a passkey or security key" (Your Security Matters), or the key the company's policy requires. */
export async function startKeyEnrollment(deps: CoreDeps, flowToken: string | undefined) {
  const { flow } = await flowAddingKey(deps, flowToken);
  const user = await getUser(deps.db, flow.company_id, flow.user_id);
  const company = await deps.db.selectFrom('companies').select('name').where('id', '=', flow.company_id).executeTakeFirst();
  assertThat(user && company, 'login.flow_expired');
  if (flow.step === 'enroll') await refuseIfEnrolled(deps.db, user);
  const existing = await listCredentials(deps.db, flow.company_id, flow.user_id);
  assertRoomForKey(existing);
  const options = await registrationOptions(deps.config, { id: user.id, username: user.username, displayName: user.display_name, companyName: company.name }, existing);
  await saveChallenge(deps.db, { bindingHash: flow.id_hash, purpose: 'enroll', companyId: flow.company_id, userId: flow.user_id, challenge: options.challenge }, deps.clock());
  return options;
}

/**
 * Stores the new key and moves the flow to the code step, where the key then signs in
 * (the browser asks for it at once). With attestation "none" a registration proves
 * nothing by signature; the assertion that follows does, so only it makes a session.
 * At first-login enrollment, only while the user still has no second factor
 * (claimFirstEnrollment), and ten recovery codes are made too, shown this once.
 */
export async function finishKeyEnrollment(
  deps: CoreDeps,
  flowToken: string | undefined,
  input: { name?: string | undefined; response: RegistrationResponseJSON },
  meta: RequestMeta,
) {
  const { found, flow } = await flowAddingKey(deps, flowToken);
  const pending = await flowChallenge(deps, found, 'enroll', meta);
  const who = { companyId: flow.company_id, userId: flow.user_id };
  const enrolling = flow.step === 'enroll';
  // The flow goes on to the code step: this request is answered for either way.
  const recoveryCodes = await answeringFor(deps.db, flow, false, () =>
    deps.db.transaction().execute(async (tx) => {
      if (enrolling) await claimFirstEnrollment(tx, flow);
      await registerKey(deps, tx, who, pending.challenge, input, meta);
      if (!(await advanceFlow(tx, flow, 'totp'))) throw new GatehouseError('login.wrong_step');
      return enrolling ? replaceRecoveryCodes(tx, deps.deriveKey('recovery-codes'), who.companyId, who.userId, deps.clock()) : undefined;
    }),
  );
  deps.mailQueued();
  const state = { step: 'totp' as const, secondFactors: await secondFactorsOf(deps.db, who.companyId, who.userId) };
  return recoveryCodes ? { ...state, recoveryCodes } : state;
}
