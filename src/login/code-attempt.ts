// The one way a second-factor code is accepted (login, re-authentication, own 2FA reset):
// an attempt slot is reserved before the code is evaluated, so parallel guesses get at
// most the company's threshold of evaluations; the code is taken in the transaction that
// acts on it; and the result is classified. Only a wrong code counts toward the lockout:
// a right code whose step was taken by an earlier or concurrent success is "already
// used" and gives its slot back, so the losing twins of a login never lock the winner out.
import { matchTotpStep, totpCode, type CodeVerdict, type OneTimeCode } from '../credentials/index.ts';
import type { CoreDeps } from '../shared/deps.ts';
import type { Database, Queryable } from '../storage/index.ts';
import { sql, type InsertQueryBuilder, type InsertResult, type QueryCreator, type RawBuilder } from 'kysely';
import { consumeFlow, consumingFlow, type FlowRow } from './flows.ts';
import {
  mayFinishLogin,
  lockIfExhausted,
  lockIfOverThreshold,
  lockoutRuleFor,
  lockUserFirst,
  onPostgres,
  releaseAttempt,
  reserveAttempt,
  slotFree,
  userLockedFirst,
  type LockoutRule,
  type LockTarget,
} from './lockout.ts';
import { givingHoldBack, holdWindowAt, ownHold } from './attempt-holds.ts';
import { answeredInFlight, twinInFlight } from './attempts-in-flight.ts';

export type CodeOutcome<T> =
  | { kind: 'accepted'; value: T }
  | { kind: 'already_used' }
  | { kind: 'wrong'; locked: boolean }
  /** No slot: the account is locked, or its slots are held by requests in flight. */
  | { kind: 'locked' }
  /** No slot while another request of the same login held one (attempts-in-flight.ts): no guess, counted against nothing. */
  | { kind: 'twin_in_flight' };

/** The user whose code is checked; a wrong code may lock the account, recorded as the target says. */
type Who = LockTarget;

const NOT_TAKEN = Symbol('not taken');

export interface ActOptions {
  /**
   * The action gives the slot back itself, in its transaction (a finished login clears
   * the whole count in the same write that stamps the login): one write fewer.
   */
  countClearedByAct?: boolean;
  /** The company's lockout rule, when the caller has read the policy already. */
  rule?: LockoutRule;
  /**
   * The login's flow: the code's slot takes over the hold its password step left
   * (lockout.ts reserveAttempt) and counts the request in flight on the flow. Accepted,
   * `act` consumes the flow or answers for the request itself (answeredInFlight); any
   * other outcome is answered for here.
   */
  flow?: FlowRow;
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
      // The user's row before the code, the flow and the session (lockout.ts, LOCK ORDER).
      await lockUserFirst(tx, who.companyId, who.userId);
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
  return { kind: 'wrong', locked: await lockIfExhausted(deps.db, who, slot, deps.clock(), rule) };
}

/**
 * Without a slot the code is never accepted. A right code is not counted (its twins may
 * hold the slots); a used one is answered as such; a wrong one locks like any guess.
 */
export async function refuseWithoutSlot(deps: CoreDeps, who: Who, rule: LockoutRule, code: OneTimeCode): Promise<{ kind: 'already_used' } | { kind: 'locked' }> {
  const state = await code.peek(deps.db);
  if (state === 'used') return { kind: 'already_used' };
  if (state === 'wrong') await lockIfOverThreshold(deps.db, who, deps.clock(), rule);
  return { kind: 'locked' };
}

/**
 * Reserves a slot, then takes the code and runs `act` in the same transaction. Of a
 * login's copies (the same flow) that find no slot while another of them holds one, none
 * is a guess: they are answered twin_in_flight whatever their code, so the answer says
 * nothing of it (a used code is still answered as used, as without a twin).
 */
export async function acceptCode<T>(deps: CoreDeps, who: Who, code: OneTimeCode, act: (tx: Queryable) => Promise<T>, options: ActOptions = {}): Promise<CodeOutcome<T>> {
  const rule = options.rule ?? (await lockoutRuleFor(deps.db, who.companyId));
  const { flow } = options;
  const slot = await reserveAttempt(deps.db, who.companyId, who.userId, deps.clock(), rule, flow);
  if (slot === null) {
    const twin = flow !== undefined && (await twinInFlight(deps.db, flow, deps.clock()));
    const refused = await refuseWithoutSlot(deps, who, rule, code);
    return twin && refused.kind === 'locked' ? { kind: 'twin_in_flight' } : refused;
  }
  if (!flow) return spendSlotOnCode(deps, who, slot, rule, code, act, options);
  let outcome: CodeOutcome<T> | undefined;
  try {
    outcome = await spendSlotOnCode(deps, who, slot, rule, code, act, options);
    return outcome;
  } finally {
    // Before the caller counts a wrong code against the flow: this request is answered.
    if (outcome?.kind !== 'accepted') await answeredInFlight(deps.db, flow);
  }
}

const NOT_AT_ONCE = Symbol('not at once');

/** A row a finished login writes (its session, its audit event), as one statement. */
export type LoginInsert = (db: QueryCreator<Database>) => InsertQueryBuilder<Database, 'sessions', InsertResult> | InsertQueryBuilder<Database, 'audit_events', InsertResult>;

/**
 * The common case of a login's last step in one write: a right app code (its time
 * `step`), an unused step and a free slot. One conditional UPDATE takes a slot, the step
 * and clears the count at once (a slot taken and given back in the same statement),
 * gives back the password step's hold and stamps the login's time; the flow is consumed
 * and the login's rows (`inserts`: its session and audit event) written in the same
 * transaction. On PostgreSQL all of it is one
 * statement (data-modifying WITHs); SQLite cannot write inside WITH, so there they are
 * statements in a row. Any of the three missing, or the flow already used, rolls it all
 * back: false, and the caller takes the usual way (acceptCode), which tells a used code
 * from a locked account. An insert failing rolls it back too and its error is the answer,
 * as in acceptCode. So nothing is accepted here that acceptCode would refuse, and a
 * success leaves what acceptCode's success leaves.
 */
export async function acceptAppCodeAtOnce(
  deps: CoreDeps,
  who: Who,
  step: number,
  rule: LockoutRule,
  flow: FlowRow,
  inserts: readonly LoginInsert[],
  /** The allowlist the session's address was checked against (loginRows): still the company's, or nothing is written. */
  allowlistChecked: readonly string[],
): Promise<boolean> {
  const now = deps.clock();
  // The login's password hold, as the consumed flow row says (not as this request read
  // it: a parallel code attempt may have taken it over), is excused and given back.
  const takingUser = (db: QueryCreator<Database>, heldIn: number | null | RawBuilder<number | null>, excused: number | RawBuilder<number>) =>
    db
      .updateTable('users')
      .set({ totp_last_step: step, failed_logins: 0, locked_until: null, lock_streak: 0, last_login_at: now, ...givingHoldBack(heldIn) })
      .where('company_id', '=', who.companyId)
      .where('id', '=', who.userId)
      .where(slotFree(rule, now, excused))
      // No session for a user deactivated, a company suspended, or a password closed, during the login.
      // An app code is accepted only where no key is asked of the user (keyDemandOf): still so.
      .where(mayFinishLogin(flow.first_factor, { ipAllowlist: allowlistChecked, keyFree: true }, onPostgres(deps.db)))
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]));
  // The oldest window whose holds still count (ownHold, in SQL).
  const counted = holdWindowAt(now) - 1;
  try {
    await deps.db.transaction().execute(async (tx) => {
      if (onPostgres(tx)) {
        // The inserts run whatever the UPDATE finds (PostgreSQL runs every part of a WITH);
        // when it took no user, throwing below rolls them back with the rest.
        const withInserts = inserts.reduce<QueryCreator<Database>>((db, insert, i) => db.with(`login_row_${i}`, (qc) => insert(qc)), tx);
        const taken = await withInserts
          // The user's row is locked before the flow's is (lockout.ts, LOCK ORDER).
          .with('consumed', (qc) => consumingFlow(qc, flow).where(userLockedFirst(who.companyId, who.userId)).returning(['id_hash', 'slot_hold_window']))
          // The user is written only if the flow was consumed.
          .with('taken', (qc) =>
            takingUser(qc, sql<number | null>`(select slot_hold_window from consumed)`, sql<number>`(select count(*) from consumed where slot_hold_window >= ${counted})`)
              .where(sql<boolean>`exists (select 1 from consumed)`)
              .returning('id'),
          )
          .selectFrom('taken')
          .select('id')
          .execute();
        if (taken.length !== 1) throw NOT_AT_ONCE;
        return;
      }
      const consumed = await consumeFlow(tx, flow);
      if (!consumed) throw NOT_AT_ONCE;
      const taken = await takingUser(tx, consumed.slot_hold_window, ownHold(consumed, now)).executeTakeFirst();
      if (Number(taken.numUpdatedRows) !== 1) throw NOT_AT_ONCE;
      for (const insert of inserts) await insert(tx).execute();
    });
    return true;
  } catch (error) {
    if (error === NOT_AT_ONCE) return false;
    throw error;
  }
}

/** The user's authenticator-app code (the secret is stored encrypted, bound to the user). */
export function appCode(deps: CoreDeps, user: AppUser, code: string): OneTimeCode {
  return totpCode({ companyId: user.company_id, userId: user.id }, appSecret(deps, user), code, deps.clock());
}

/** The time step an app code proves, or null when it is wrong for the user's secret. */
export function appCodeStep(deps: CoreDeps, user: AppUser, code: string): number | null {
  const secret = appSecret(deps, user);
  return secret === null ? null : matchTotpStep(secret, code, deps.clock());
}

type AppUser = { company_id: string; id: string; totp_secret: string | null };
const appSecret = (deps: CoreDeps, user: AppUser) => (user.totp_secret === null ? null : deps.secrets.decrypt(user.totp_secret, `totp:${user.id}`));
