// The identifier-first login: Username + Company Name, then Password. The last step
// (second-factor.ts) or the forced enrollment (enrollment.ts) creates the session.
import { recordAudit } from '../audit/index.ts';
import { getCompanyPolicy, ipAllowed, keyRequired, type CompanyPolicy } from '../companies/index.ts';
import { GatehouseError } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { getUser, type UserRow } from '../users/index.ts';
import { HashNotStarted } from '../crypto/index.ts';
import { createFlow, deleteStoredFlow, sweepExpiredFlows, type FlowRow } from './flows.ts';
import { endFlow, flowFromCookie, loginIdOfToken, requireFlowAt, type CookieFlow } from './flow-cookie.ts';
import { pendingFlowToken } from './pending-flow.ts';
import {
  lockIfExhausted,
  lockIfOverThreshold,
  lockoutRuleOf,
  releaseAttempt,
  releaseAttemptAndMoveOn,
  reserveAttempt,
  type LockoutRule,
  type LockTarget,
} from './lockout.ts';
import { addressTicket, countIpFailure } from './ip-throttle.ts';
import { HASH_WAIT_MS, holdWindowAt } from './attempt-holds.ts';
import { failHeldAttempt, giveHoldBack, holdAttemptAndStoreFlow } from './password-hold.ts';
import { activeProvider } from './federated.ts';
import { stepAfterFirstFactor } from './factors.ts';
import { readIdentifiedNames } from './identify-read.ts';
import { passwordStepRead, type LoginSubject } from './login-subject.ts';
import { countSwitchedOnCredentials } from '../webauthn/index.ts';
import type { Queryable } from '../storage/index.ts';
import { requireAnonymousWrite } from '../shared/anonymous-writes.ts';
import { answerFloor } from '../shared/answer-floor.ts';

export const MAX_TOTP_FAILURES = 5;

export type LoginStep = 'identify' | 'password' | 'totp' | 'mail_code' | 'enroll' | 'key_enroll' | 'sso' | 'sso_trusted' | 'done';

export type SecondFactor = 'app' | 'key' | 'recovery_code';

/**
 * What the company's policy asks of this user at the code step: `keyOnly` once they have
 * a key (the app's code no longer suffices), `mustAddKey` while they have none. A key
 * switched off (a copy of it was seen) is none: its owner signs in as without a key and,
 * where the policy requires one, adds a new key at the login (key_enroll).
 */
export async function keyDemand(db: Queryable, user: Pick<UserRow, 'company_id' | 'id' | 'role'>, policy?: CompanyPolicy) {
  return keyDemandOf(user, policy ?? (await getCompanyPolicy(db, user.company_id)), await countSwitchedOnCredentials(db, user.company_id, user.id));
}

export interface KeyDemand {
  keys: number;
  keyOnly: boolean;
  mustAddKey: boolean;
}

/** keyDemand from what the caller read already (login-subject.ts). */
export function keyDemandOf(user: Pick<UserRow, 'role'>, policy: CompanyPolicy, keys: number): KeyDemand {
  const required = keyRequired(policy, user.role);
  return { keys, keyOnly: required && keys > 0, mustAddKey: required && keys === 0 };
}

/** The ways an enrolled user may finish the login at the code step. */
export async function secondFactorsOf(db: Queryable, companyId: string, userId: string): Promise<SecondFactor[]> {
  const user = await getUser(db, companyId, userId);
  if (!user) return [];
  return secondFactorsFor(user, await keyDemand(db, user));
}

/** secondFactorsOf, from what the caller read already. */
export function secondFactorsFor(user: Pick<UserRow, 'totp_secret'>, demand: KeyDemand): SecondFactor[] {
  const app = user.totp_secret && !demand.keyOnly ? (['app'] as const) : [];
  return [...app, ...(demand.keys > 0 ? (['key'] as const) : []), 'recovery_code'];
}

export async function currentStep(deps: CoreDeps, flowToken: string | undefined) {
  const found = await flowFromCookie(deps, flowToken);
  const flow = found?.flow;
  // A passkey login waiting for the browser is not a page to come back to.
  if (!found || !flow || flow.step === 'passkey') return { step: 'identify' as LoginStep };
  const secondFactors = flow.step === 'totp' && flow.company_id && flow.user_id ? { secondFactors: await secondFactorsOf(deps.db, flow.company_id, flow.user_id) } : {};
  const provider = flow.step === 'sso' && flow.company_id ? await activeProvider(deps.db, flow.company_id) : undefined;
  return {
    step: flow.step as LoginStep,
    loginId: found.loginId,
    username: flow.username,
    companyName: flow.company_name,
    ...secondFactors,
    ...(provider ? { provider: provider.name } : {}),
  };
}

/**
 * Step one. Always moves on to the password: nothing here tells whether names exist. The
 * flow is not stored until the password is proved: its cookie carries it (pending-flow.ts).
 * A company with single sign-on gets a stored flow at once (the provider's request is
 * bound to it, and "Use password instead" moves it on): a row for anyone who names the
 * company, so a client network may store only so many (the same 429 whatever the username).
 */
export async function identify(
  deps: CoreDeps,
  input: { username: string; companyName: string; returnTo?: string | undefined },
  meta: RequestMeta,
) {
  // One read, the same for known and unknown names (identify-read.ts). A company with
  // single sign-on sends everyone to its provider first (break-glass users choose "Use
  // password instead"): the answer depends on the company alone, never on whether the
  // user exists.
  const { companyId, userId, provider } = await readIdentifiedNames(deps.db, input.companyName, input.username);
  const step = provider ? ('sso' as const) : ('password' as const);
  const flow = {
    companyId,
    userId,
    username: input.username.trim(),
    companyName: input.companyName.trim(),
    returnTo: input.returnTo ?? null,
  };
  const now = deps.clock();
  let flowToken: string;
  if (provider) {
    await requireAnonymousWrite(deps.db, 'ssoLoginFlows', meta.ip, now);
    flowToken = await createFlow(deps.db, { ...flow, step }, now);
  } else {
    flowToken = pendingFlowToken(deps, flow, now);
    await sweepExpiredFlows(deps.db, now);
  }
  return {
    flowToken,
    step: step as LoginStep,
    loginId: loginIdOfToken(deps, flowToken),
    username: input.username.trim(),
    companyName: input.companyName.trim(),
    ...(provider ? { provider: provider.name } : {}),
  };
}

/**
 * The password step's one failure answer, and every one of them counts against the client
 * address (ip-throttle.ts), whatever the reason: one an unknown name never gets must not
 * be spared either, or the tries an address has left after a burst would tell that the
 * name exists. So a refusal for held slots counts too, though no password was checked:
 * a person repeating a right password while their own logins hold the slots pays for it
 * from their network's allowance (docs/SECURITY.md, enumeration resistance).
 */
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
  await countIpFailure(deps.db, meta.ip, deps.clock());
  throw new GatehouseError('login.invalid_credentials');
}

/**
 * Why a user who proved the password may still not go on, if anything does stop them
 * (read before the hash, with the user; the flow is stored only if user and company are
 * still active after it: lockout.ts releaseAttemptAndMoveOn).
 */
function refusalAfterPassword({ user, companyActive, policy }: LoginSubject, ip: string | null) {
  if (user.status !== 'active') return 'user_disabled' as const;
  if (!companyActive) return 'company_suspended' as const;
  // Only now, with the password proved, may the answer differ: the company's allowlist.
  if (!ipAllowed(policy.ipAllowlist, ip)) return 'ip_refused' as const;
  return undefined;
}

/**
 * Step two. Every failure (unknown, wrong, locked, held, disabled, suspended, SSO-only,
 * replayed) is the same answer, given no sooner than the answer floor (ANSWER_FLOOR_MS,
 * 250 ms; deps.answerFloorMs) after the check started, so neither its words nor its time
 * tell the cases apart. The failures differ in cost: a real user's wrong password commits
 * its hold before the hash and its failure after it, a lock adds more, an unknown name
 * only runs the dummy hash (as long as a real one); commits are fsyncs on SQLite and round
 * trips on PostgreSQL. The slowest ordinary failure (argon2id at OWASP's 19 MiB and two
 * passes, then up to five commits) stays well under the floor; time waiting in the hash
 * queue (up to HASH_WAIT_MS) is the same for real and dummy hashes, so the floor need not
 * cover it. A right password is not held back, nor a network over its limit (429 at once,
 * no hash run). Once the password is proved a pending flow is stored, and a stored one
 * renamed; `flowToken` then names it, for the flow cookie.
 */
export async function checkPassword(deps: CoreDeps, flowToken: string | undefined, password: string, meta: RequestMeta) {
  const floorReached = answerFloor(deps.answerFloorMs);
  try {
    return await checkPasswordNow(deps, flowToken, password, meta);
  } catch (error) {
    // After the address's turn is given back (checkPasswordNow): the wait holds no slot.
    if (error instanceof GatehouseError && error.code === 'login.invalid_credentials') await floorReached();
    throw error;
  }
}

/** checkPassword, answering as soon as it knows. */
async function checkPasswordNow(deps: CoreDeps, flowToken: string | undefined, password: string, meta: RequestMeta) {
  // Pending (identify's cookie), or stored ("Use password instead" after SSO).
  const found = await requireFlowAt(deps, flowToken, 'password');
  const { flow } = found;
  // Every hash of this step, real or dummy, waits in the same queue under the same
  // deadline and answers 503 past it: whether the user exists must not change that.
  const started = deps.clock();
  const inTime = () => deps.clock() < started + HASH_WAIT_MS;
  const dummyHash = () => hashInTime(deps.hasher.verifyDummy(password, inTime));
  // The address's failures and its checks in flight stay under the limit (ip-throttle.ts).
  const ticket = addressTicket(deps.db, meta.ip);
  // One read, whether or not the flow names a user: the throttle, the user, the company.
  const { ipFailures, subject } = await passwordStepRead(deps.db, meta.ip, flow, deps.clock());
  // A network over its limit is told so at once, the same for every user: no hash runs
  // for it, so a blocked network cannot fill the hash queue real logins wait in.
  const turn = ticket(ipFailures);
  if (!turn) throw new GatehouseError('request.rate_limited');
  try {
    return await checkPasswordOf(deps, found, subject, password, meta, { inTime, dummyHash });
  } finally {
    turn();
  }
}

/** checkPassword, once the address may have its password checked. */
async function checkPasswordOf(
  deps: CoreDeps,
  found: CookieFlow,
  subject: LoginSubject | undefined,
  password: string,
  meta: RequestMeta,
  hashing: { inTime: () => boolean; dummyHash: () => Promise<void> },
) {
  const { flow } = found;
  const { inTime, dummyHash } = hashing;
  const user = subject?.user;
  if (!subject || !user?.password_hash) {
    await dummyHash();
    return rejectCredentials(deps, flow, meta, user ? 'not_signed_up' : 'unknown_user');
  }
  if (subject.passwordClosedBySso) {
    await dummyHash();
    return rejectCredentials(deps, flow, meta, 'sso_only');
  }
  const { policy } = subject;
  const rule = lockoutRuleOf(policy);
  // A user who chose a key over the app at enrollment has no app secret, and is enrolled all the same.
  const next = stepAfterFirstFactor(user, subject.registeredKeys);
  const secondFactors = () => (next === 'totp' ? { secondFactors: secondFactorsFor(user, keyDemandOf(user, policy, subject.keys)) } : {});
  // The common case, a pending flow and nothing that would stop the user after the
  // password: one write, before the hash (proveWithHeldSlot). Anything else, or that write
  // refused, takes the way below, which tells each case apart.
  if (found.kind === 'pending' && !refusalAfterPassword(subject, meta.ip)) {
    const proved = await proveWithHeldSlot(deps, { ...user, password_hash: user.password_hash }, found, next, password, meta, rule, inTime);
    if (proved === 'replayed') {
      // Its twin, with the same identify cookie, is checking this password now: the answer
      // is a failure, as for a name that does not exist (an unknown user's flow is never
      // stored, so a different answer here would tell that this one does).
      await dummyHash();
      return rejectCredentials(deps, flow, meta, 'replayed_flow');
    }
    if (proved) return { step: next as LoginStep, ...secondFactors(), flowToken: proved.flowToken };
  }
  const slot = await reserveAttempt(deps.db, user.company_id, user.id, deps.clock(), rule);
  if (slot === null) {
    await lockIfOverThreshold(deps.db, lockTarget(user, meta), deps.clock(), rule);
    await dummyHash();
    // Locked, or every slot is held by logins in flight (attempt-holds.ts): the same
    // answer, counted the same; only the audit trail tells them apart.
    const locked = user.locked_until !== null ? user.locked_until > deps.clock() : user.failed_logins >= rule.threshold;
    return rejectCredentials(deps, flow, meta, locked ? 'locked' : 'slots_held');
  }
  let matches: boolean;
  try {
    matches = await hashInTime(deps.hasher.verify(user.password_hash, password, inTime));
  } catch (error) {
    await releaseAttempt(deps.db, user.company_id, user.id); // its hash never ran: no guess was made
    throw error;
  }
  if (!matches) {
    const locked = await lockIfExhausted(deps.db, lockTarget(user, meta), slot, deps.clock(), rule);
    return rejectCredentials(deps, flow, meta, locked ? 'wrong_password_locked' : 'wrong_password');
  }
  // The password is right: its slot goes back on every way out from here, in the same
  // write that moves the flow on when the login continues.
  const giveSlotBack = () => releaseAttempt(deps.db, user.company_id, user.id);
  const refusal = refusalAfterPassword(subject, meta.ip);
  if (refusal) await giveSlotBack();
  if (refusal === 'user_disabled' || refusal === 'company_suspended') return rejectCredentials(deps, flow, meta, refusal);
  if (refusal === 'ip_refused') {
    await endFlow(deps.db, found);
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
  const moved = await releaseAttemptAndMoveOn(deps.db, { ...user, password_hash: user.password_hash }, found, next);
  if (moved === 'user_changed') {
    await giveSlotBack();
    throw new GatehouseError('login.flow_expired');
  }
  if (moved === 'taken') {
    // A twin moved this flow on first: the same answer as the replay above. Its slot was
    // given back by that write already (releaseAttemptAndMoveOn); giving it back again
    // took a real failure off the count, so twin right passwords bought code guesses
    // without end (test/http/password-twins-lockout.test.ts).
    return rejectCredentials(deps, flow, meta, 'replayed_flow');
  }
  // The flow's new name, the cookie from now on: a pending flow's stored name, or a stored
  // flow's ("Use password instead") renamed past the password (flows.ts moveFlowPastProof).
  return { step: next as LoginStep, ...secondFactors(), flowToken: moved.flowToken };
}

/** A wrong password at the login's password step may lock its user (lockout.ts). */
const lockTarget = (user: Pick<UserRow, 'company_id' | 'id'>, meta: RequestMeta): LockTarget => ({
  companyId: user.company_id,
  userId: user.id,
  ip: meta.ip,
  userAgent: meta.userAgent,
  after: 'password',
});

/** A hash of the password step, whose turn came too late (past HASH_WAIT_MS): 503, whoever the user is. */
async function hashInTime<T>(hashing: Promise<T>): Promise<T> {
  try {
    return await hashing;
  } catch (error) {
    throw error instanceof HashNotStarted ? new GatehouseError('service.unavailable') : error;
  }
}

/**
 * The password step in one write (password-hold.ts holdAttemptAndStoreFlow): the attempt slot
 * held and the flow stored at its next step, before the hash, under the stored name only a
 * right password is given. A right password then writes nothing more; a wrong one turns its
 * hold into a failure and deletes the flow. Undefined when that write was refused (no slot,
 * or the user changed since the read): the caller takes the usual way.
 */
async function proveWithHeldSlot(
  deps: CoreDeps,
  user: UserRow & { password_hash: string },
  found: Extract<CookieFlow, { kind: 'pending' }>,
  next: 'totp' | 'mail_code' | 'enroll',
  password: string,
  meta: RequestMeta,
  rule: LockoutRule,
  inTime: () => boolean,
): Promise<{ flowToken: string } | 'replayed' | undefined> {
  const now = deps.clock();
  const stored = { ...found.flow, step: next, slot_hold_window: holdWindowAt(now) };
  const held = await holdAttemptAndStoreFlow(deps.db, user, stored, rule, now);
  if (held === 'refused') return undefined;
  if (held === 'taken') return 'replayed';
  let matches: boolean;
  try {
    // The hold must outlast the hash: a hash still queued after HASH_WAIT_MS never starts.
    matches = await hashInTime(deps.hasher.verify(user.password_hash, password, inTime));
  } catch (error) {
    await giveHoldBack(deps.db, user, stored.slot_hold_window);
    await deleteStoredFlow(deps.db, stored);
    throw error;
  }
  if (matches) return { flowToken: found.storedToken };
  const locked = await failHeldAttempt(deps.db, lockTarget(user, meta), stored, rule, deps.clock());
  return rejectCredentials(deps, found.flow, meta, locked ? 'wrong_password_locked' : 'wrong_password');
}

