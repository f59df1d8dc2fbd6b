// Password and TOTP attempts per user are reserved before they are checked: one
// conditional UPDATE takes a slot while fewer than the company's threshold are used, so
// even 50 parallel wrong guesses get at most that many evaluations before the account
// locks. Threshold and lock duration come from the company's policy; the constants
// below are the defaults.
//
// Two kinds of slot. A code's (and re-authentication's) slot is counted as a failure
// when taken and given back when the code is right (reserveAttempt, releaseAttempt). A
// login's password step holds its slot instead (password-hold.ts): a hold counts against
// the threshold like a failure while it lasts, lapses by itself within two short windows
// (attempt-holds.ts), and turns into a failure only if the password is wrong. So a right
// password costs one write, and a login abandoned after it never counts as a failure. The
// login's later writes give its hold back (its code's slot reservation takes it over, its
// last statement gives it back), and its own hold never counts against its own code.
import { PostgresAdapter, sql, type Expression, type ExpressionBuilder, type QueryCreator, type RawBuilder, type SqlBool } from 'kysely';
import { auditRow, recordAudit } from '../audit/index.ts';
import { GatehouseError } from '../errors.ts';
import type { CoreDeps } from '../shared/deps.ts';
import { getCompanyPolicy, POLICY_LIMITS, type CompanyPolicy } from '../companies/index.ts';
import { rowInsertedIf, type Database, type Queryable } from '../storage/index.ts';
import { countingInFlight, moveFlowPastProof, storingFlow, type FlowRow, type FlowStep } from './flows.ts';
import type { CookieFlow } from './flow-cookie.ts';
import { givingHoldBack, holdWindowAt, liveHolds, ownHold } from './attempt-holds.ts';

export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60_000;

/**
 * How long the next lock lasts, by the account's locks since its last completed login or
 * unlock (users.lock_streak): the company's lock time, then twice the one before, up to a
 * day. A lock that ran out gave whoever holds the password the threshold's number of fresh
 * guesses every lock period, without end (5 every 15 minutes is 480 codes a day); growing,
 * they are a few dozen in the first day and the threshold's number a day after. A CASE
 * over the ladder's steps, the same SQL on both engines.
 */
export function nextLockMs(rule: LockoutRule): RawBuilder<number> {
  // The longest a lock lasts, however many came before it: the longest a company may set
  // (read here, not at load: the companies door imports this module's).
  const longest = POLICY_LIMITS.lockoutMinutes[1] * 60_000;
  const ladder: number[] = [];
  for (let ms = Math.min(rule.lockMs, longest); ; ms *= 2) {
    ladder.push(Math.min(ms, longest));
    if (ms >= longest) break;
  }
  const steps = ladder.slice(0, -1).map((ms, streak) => sql`when ${sql.lit(streak)} then ${sql.lit(ms)}`);
  return steps.length === 0 ? sql<number>`${sql.lit(ladder[0])}` : sql<number>`(case lock_streak ${sql.join(steps, sql` `)} else ${sql.lit(ladder.at(-1))} end)`;
}

export interface LockoutRule {
  threshold: number;
  lockMs: number;
}
export const DEFAULT_LOCKOUT: LockoutRule = Object.freeze({ threshold: MAX_FAILURES, lockMs: LOCK_MS });

export const lockoutRuleOf = (policy: CompanyPolicy): LockoutRule => ({
  threshold: policy.lockoutThreshold,
  lockMs: policy.lockoutMinutes * 60_000,
});

export async function lockoutRuleFor(db: Queryable, companyId: string): Promise<LockoutRule> {
  return lockoutRuleOf(await getCompanyPolicy(db, companyId));
}

/**
 * The users row has an attempt slot free: unlocked and under the threshold counting the
 * holds still counted (attempt-holds.ts), or its lock has run out. `excused`: the
 * caller's own hold (1, or an expression counting it), which does not count against the
 * login it belongs to.
 */
export const slotFree =
  (rule: LockoutRule, now: number, excused: number | RawBuilder<number> = 0) =>
  (eb: ExpressionBuilder<Database, 'users'>) =>
    eb.or([
      eb.and([eb('locked_until', 'is', null), eb(sql<number>`failed_logins + ${liveHolds(holdWindowAt(now))} - ${excused}`, '<', rule.threshold)]),
      eb('locked_until', '<=', now),
    ]);

/**
 * The failure count once `added` more are counted (0 or 1): a lock that has run out starts
 * a fresh count. Beside it, the lock it leaves: none once it has run out.
 */
export const failuresAfter = (now: number, added: number) =>
  sql<number>`(case when locked_until is not null and locked_until <= ${now} then ${added} else failed_logins + ${added} end)`;
export const lockLeft = (now: number) => sql<number | null>`case when locked_until is not null and locked_until <= ${now} then null else locked_until end`;

/**
 * Takes an attempt slot; null when the user is locked (or just ran out of slots). With
 * `flow`, a login's code attempt takes over the hold its password step left, if it is
 * still counted: the flow's claim on it is cleared and the hold given back in the same
 * commit that takes the slot, so of a flow's parallel requests only one excuses it and
 * gives it back. The flow is updated to say so, and counts the request in flight
 * (attempts-in-flight.ts) where it got its slot; the caller answers for it.
 */
export async function reserveAttempt(
  db: Queryable,
  companyId: string,
  userId: string,
  now: number,
  rule: LockoutRule = DEFAULT_LOCKOUT,
  flow?: FlowRow,
): Promise<number | null> {
  const reserving = (qc: QueryCreator<Database>, heldIn: number | null | RawBuilder<number | null>, excused: RawBuilder<number> | number) =>
    qc
      .updateTable('users')
      .set({ failed_logins: failuresAfter(now, 1), locked_until: lockLeft(now), ...givingHoldBack(heldIn) })
      .where('company_id', '=', companyId)
      .where('id', '=', userId)
      .where(slotFree(rule, now, excused))
      .returning('failed_logins');
  if (!flow) return (await reserving(db, null, 0).executeTakeFirst())?.failed_logins ?? null;
  const window = ownHold(flow, now) === 1 ? flow.slot_hold_window : null;
  // A slot taken for a login's code counts the request in flight on its flow in the same
  // commit, so a twin that finds no slot because of it finds it counted (attempts-in-flight.ts).
  if (window === null) {
    if (onPostgres(db)) {
      const [answer] = await db
        .with('reserved', (qc) => reserving(qc, null, 0))
        // The user's row (reserved) before the flow's (LOCK ORDER, below).
        .with('counted', (qc) => countingInFlight(qc, flow, now).where(sql<boolean>`exists (select 1 from reserved)`))
        .selectFrom('reserved')
        .select('failed_logins')
        .execute();
      return answer === undefined ? null : Number(answer.failed_logins);
    }
    return db.transaction().execute(async (tx) => {
      const row = await reserving(tx, null, 0).executeTakeFirst();
      if (row) await countingInFlight(tx, flow, now).execute();
      return row?.failed_logins ?? null;
    });
  }
  // The flow's claim on its hold, cleared only where it still has it (one request of a flow wins).
  const claimCleared = (qc: QueryCreator<Database>) =>
    qc.updateTable('login_flows').set({ slot_hold_window: null }).where('id_hash', '=', flow.id_hash).where('slot_hold_window', '=', window);
  // One transaction on both engines: the flow's row is written twice (its claim, then its
  // count), which one PostgreSQL statement cannot do.
  const { released, row } = await db.transaction().execute(async (tx) => {
    let cleared: boolean;
    let reserved: { failed_logins: number } | undefined;
    if (onPostgres(tx)) {
      const [answer] = await tx
        // The user's row before the flow's (LOCK ORDER, below).
        .with('released', (qc) => claimCleared(qc).where(userLockedFirst(companyId, userId)).returning('slot_hold_window'))
        .with('reserved', (qc) => reserving(qc, sql<number | null>`(select cast(${window} as bigint) from released)`, sql<number>`(select count(*) from released)`))
        .selectNoFrom([sql<string>`(select count(*) from released)`.as('released'), sql<number | null>`(select failed_logins from reserved)`.as('failed_logins')])
        .execute();
      cleared = Number(answer?.released) === 1;
      reserved = answer?.failed_logins === null || answer?.failed_logins === undefined ? undefined : { failed_logins: Number(answer.failed_logins) };
    } else {
      cleared = Number((await claimCleared(tx).executeTakeFirst()).numUpdatedRows) === 1;
      reserved = await reserving(tx, cleared ? window : null, cleared ? 1 : 0).executeTakeFirst();
    }
    if (reserved) await countingInFlight(tx, flow, now).execute();
    return { released: cleared, row: reserved };
  });
  // Cleared even when no slot was free: the hold then lapses by itself, uncounted by anyone's excuse.
  if (released) flow.slot_hold_window = null;
  return row ? row.failed_logins : null;
}

/**
 * Whose account a guess may lock, and what its `login.locked` event says: from where, and
 * `after` what (password, totp, recovery_code at the login; current_password in My
 * Settings; reauth:<purpose> when re-proving identity).
 */
export interface LockTarget {
  companyId: string;
  userId: string;
  ip: string | null;
  userAgent: string | null;
  after: string;
}

/**
 * For a request that got no slot and was a guess (a wrong or unchecked password, a wrong
 * code). When a Master lowered the threshold below an unlocked count, lock now, so the
 * lock runs out like any other instead of holding until the count is cleared. Not called
 * for a right code: slots held by its in-flight twins are not failures.
 */
export async function lockIfOverThreshold(db: Queryable, target: LockTarget, now: number, rule: LockoutRule): Promise<void> {
  await lockAndRecord(db, target, now, rule, (eb) => eb('failed_logins', '>=', rule.threshold));
}

/** After a wrong password or code: lock once the slots are used up. True when `used` used them up. */
export async function lockIfExhausted(db: Queryable, target: LockTarget, used: number, now: number, rule: LockoutRule): Promise<boolean> {
  if (used < rule.threshold) return false;
  await lockAndRecord(db, target, now, rule);
  return true;
}

/**
 * The one place an account locks: locked_until set where the row is unlocked (and
 * `also` holds), and `login.locked` recorded only where that UPDATE changed the row, so
 * of parallel guesses that all find the slots used up one event is written, and every
 * way to lock (login, My Settings, re-authentication) leaves it. One statement on
 * PostgreSQL (the event inserted where the UPDATE returned a row), one transaction on SQLite.
 */
async function lockAndRecord(
  db: Queryable,
  target: LockTarget,
  now: number,
  rule: LockoutRule,
  also?: (eb: ExpressionBuilder<Database, 'users'>) => Expression<SqlBool>,
) {
  const locking = (qc: QueryCreator<Database>) =>
    qc
      .updateTable('users')
      .set({ locked_until: sql<number>`cast(${now} as bigint) + ${nextLockMs(rule)}`, lock_streak: sql<number>`lock_streak + 1` })
      .where('company_id', '=', target.companyId)
      .where('id', '=', target.userId)
      .where('locked_until', 'is', null)
      .$call((qb) => (also ? qb.where(also) : qb));
  const { companyId, userId, ip, userAgent, after } = target;
  const event = { companyId, actorId: userId, action: 'login.locked', target: userId, ip, userAgent, detail: { after } };
  if (onPostgres(db)) {
    await db
      .with('locked', (qc) => locking(qc).returning('id'))
      .with('recorded', (qc) => rowInsertedIf(qc, 'audit_events', auditRow(now, event), sql<boolean>`exists (select 1 from locked)`))
      .selectNoFrom(sql<number>`1`.as('done'))
      .execute();
    return;
  }
  await db.transaction().execute(async (tx) => {
    if (Number((await locking(tx).executeTakeFirst()).numUpdatedRows) === 1) await recordAudit(tx, now, event);
  });
}

/**
 * A right password gives its slot back without clearing the count: only a finished
 * login (both factors) does, so restarting after wrong TOTP codes gains nothing.
 */
export async function releaseAttempt(db: Queryable, companyId: string, userId: string) {
  await releasing(db, companyId, userId).execute();
}

function releasing(db: QueryCreator<Database>, companyId: string, userId: string) {
  return db
    .updateTable('users')
    .set({ failed_logins: sql<number>`case when failed_logins > 0 then failed_logins - 1 else 0 end` })
    .where('company_id', '=', companyId)
    .where('id', '=', userId);
}

export const onPostgres = (db: Queryable) => db.getExecutor().adapter instanceof PostgresAdapter;

/*
 * LOCK ORDER (PostgreSQL row locks) of a login and of what ends a user's access: the
 * user's row first, then the login's flow, then the rest a login writes (the code it
 * takes, a key's counter, its session). An administrator's change to a user (deactivate,
 * delete: src/users/lifecycle.ts) locks the user's row (loadTarget), then the company's
 * (break-glass), then deletes the user's flows and sessions (src/users/access.ts). A login
 * with a password or a code only reads the company's row; a single sign-on that takes the
 * user out of a group locks it (lockAccessDecisions, src/modules/access.ts) after the
 * user's row and before the flow, in the same order as a deactivation. A login that took its
 * flow first and then waited for the user deadlocked (40P01) with a deactivation that held
 * the user and waited for the flow; so every login write that takes both takes the
 * user's row first: lockUserFirst at the start of its transaction, or userLockedFirst as
 * the condition of the statement that writes the flow. (One that writes the flow alone,
 * as "Use password instead" does, waits for nothing of the user's.) A provider's request
 * bound to a flow is taken before the flow, by its answer, by a change of the provider and
 * by a flow renamed past a proof (flows.ts moveFlowPastProof); a flow's key challenges
 * after it. SQLite needs neither:
 * it has no row locks, its writes run one at a time.
 */

/** Takes the user's row (LOCK ORDER, above), first in a login's transaction; on PostgreSQL only. */
export async function lockUserFirst(db: Queryable, companyId: string, userId: string): Promise<void> {
  if (onPostgres(db)) await db.selectFrom('users').select('id').where('company_id', '=', companyId).where('id', '=', userId).forNoKeyUpdate().execute();
}

/**
 * The same, as the condition of a PostgreSQL statement that writes the login's flow: the
 * user's row is locked (an InitPlan, before the flow's row is), and the flow is written
 * only while the user's row exists. PostgreSQL only (SQLite has no FOR NO KEY UPDATE).
 */
export const userLockedFirst = (companyId: string, userId: string) => (eb: ExpressionBuilder<Database, 'login_flows'>) =>
  eb.exists(eb.selectFrom('users').select('users.id').where('users.company_id', '=', companyId).where('users.id', '=', userId).forNoKeyUpdate());

/**
 * The users row is of an active user in an active company. Every write that moves a login
 * on or ends it with a session holds to it, whatever changed the row: the product's own
 * deactivation and suspension also end the user's unfinished logins (users/access.ts), a
 * restore or a hand edit does not.
 */
export const activeInActiveCompany = (eb: ExpressionBuilder<Database, 'users'>) =>
  eb.and([
    eb('users.status', '=', 'active'),
    eb.exists(eb.selectFrom('companies').select('companies.id').whereRef('companies.id', '=', 'users.company_id').where('companies.status', '=', 'active')),
  ]);

/**
 * The condition of the users row's write that ends a login with its session (every way of
 * finishing one writes it). What the earlier steps decided is decided again here, since a
 * login waits at its last step for minutes while a Master changes things, in one look at
 * the company's row:
 * - the user and the company active (activeInActiveCompany's rule);
 * - the company's IP allowlist still the one the session's address was checked against
 *   (loginRows): a Master who narrows it ends the sessions it excludes in the same
 *   transaction, so a session written after, on the list as it was, would escape that
 *   (the list is stored as its JSON, companies/policy.ts, and compared as such);
 * - for a login whose first factor was not the company's provider (a password, or a
 *   passkey standing for one), a password that single sign-on has not closed since (the
 *   rule of passwordClosedFor, login-subject.ts: the Root Master, a break-glass user, or a
 *   company not in 'sso-only' mode with a provider on). Such a login ends as expired, and
 *   starting again goes to the provider;
 * - for a login decided on no key being required of the user (`keyFree`: it finishes with
 *   the app's code, a recovery code or the provider's MFA where no key is asked), no key
 *   required of them still, by the company's policy and their role as they are now: a
 *   policy that holds them to keys, or a promotion under it, ends the sessions no key
 *   signed in the same transaction (companies/policy.ts), so a session written after
 *   would escape that. Such a login ends as expired, and starting again asks for the key;
 * - for a login the company's provider began (`fed`), a user who is not the Root Master:
 *   no provider signs the Root Master in (src/sso/sign-in.ts refusalOf), and a Master made
 *   Root Master while the login waited (at the code step, or at the provider's MFA) must
 *   not get a session on the provider's word. Where the provider's MFA stands in for the
 *   second factor (`providerMfa`), a user not named break-glass since: whoever controls the
 *   provider must not stand in for them (login/federated.ts providerMfaMayStandIn). Such a
 *   login ends as expired.
 *
 * On PostgreSQL the company's row is read with a share lock (`postgres`): a plain read
 * takes the statement's snapshot, and a policy saved, or a suspension, that commits after
 * it but before the login's transaction does would look for the sessions to end without
 * finding this one, not yet committed. Locked, the row cannot change until the login
 * commits (the change waits, then finds the session and ends it); a change that holds
 * the row first makes the login wait and then read the row as the change left it.
 */
export const mayFinishLogin =
  (firstFactor: 'pwd' | 'fed' | null | undefined, checked: { ipAllowlist: readonly string[]; keyFree: boolean; providerMfa?: boolean }, postgres: boolean) =>
  (eb: ExpressionBuilder<Database, 'users'>) =>
  eb.and([
    eb('users.status', '=', 'active'),
    ...(firstFactor === 'fed' ? [eb('users.role', '!=', 'root_master')] : []),
    ...(checked.providerMfa ? [eb('users.sso_break_glass', '!=', 1)] : []),
    eb.exists(
      eb
        .selectFrom('companies')
        .select('companies.id')
        .whereRef('companies.id', '=', 'users.company_id')
        .where('companies.status', '=', 'active')
        .where('companies.ip_allowlist', '=', JSON.stringify(checked.ipAllowlist))
        // keyRequired (companies/policy.ts), in SQL: not for this role under this policy.
        .$if(checked.keyFree, (company) =>
          company.where((c) => c.or([c('companies.phishing_resistant', '=', 'off'), c.and([c('companies.phishing_resistant', '=', 'masters'), c('users.role', '=', 'user')])])),
        )
        .$if(firstFactor !== 'fed', (company) =>
          company.where((c) =>
            c.or([
              c('users.role', '=', 'root_master'),
              c('users.sso_break_glass', '=', 1),
              c('companies.sso_mode', '!=', 'sso-only'),
              c.not(c.exists(c.selectFrom('sso_providers').select('sso_providers.id').whereRef('sso_providers.company_id', '=', 'companies.id').where('sso_providers.enabled', '=', 1))),
            ]),
          ),
        )
        .$if(postgres, (company) => company.forShare()),
    ),
  ]);

/**
 * A right password's slot given back and its flow moved on to its next step, together,
 * only while the user is as the password step found it (the same password hash, active,
 * its company active): a password change, deactivation or suspension that raced the hash
 * ends the login, and on PostgreSQL the user's row lock makes a concurrent change wait or
 * be waited for. The user's row is written before the flow (LOCK ORDER, above): the flow's
 * part runs only where the user's did. A pending flow (pending-flow.ts) is stored at that
 * step: one statement on PostgreSQL, one transaction on SQLite, which cannot write inside
 * WITH. A stored one ("Use password instead" after single sign-on) is moved on from the step
 * it was read at and renamed, its cookie replaced as a pending flow's is (flows.ts
 * moveFlowPastProof), in one transaction on either engine: not the usual login, so its
 * few more statements cost no one else. `flowToken`: the flow's name from now on, the
 * flow cookie. 'taken': the flow was stored or moved on already (a raced or replayed
 * request); the slot is given back all the same. 'user_changed': nothing was written.
 */
export async function releaseAttemptAndMoveOn(
  db: Queryable,
  user: { company_id: string; id: string; password_hash: string },
  found: CookieFlow,
  to: FlowStep,
): Promise<{ flowToken: string } | 'taken' | 'user_changed'> {
  const releasingAsFound = (qc: QueryCreator<Database>) =>
    releasing(qc, user.company_id, user.id).where('password_hash', '=', user.password_hash).where(activeInActiveCompany);
  const { flow } = found;
  if (found.kind === 'stored') {
    return db.transaction().execute(async (tx) => {
      const releasedRow = await releasingAsFound(tx).executeTakeFirst();
      if (Number(releasedRow.numUpdatedRows) !== 1) return 'user_changed';
      const flowToken = await moveFlowPastProof(tx, flow, to, found.loginId);
      return flowToken ? { flowToken } : 'taken';
    });
  }
  const stored = { flowToken: found.storedToken };
  if (onPostgres(db)) {
    const released = db.with('released', (qc) => releasingAsFound(qc).returning('id'));
    const afterRelease = sql<boolean>`exists (select 1 from released)`;
    const [counts] = await released
      .with('moved', (qc) => storingFlow(qc, flow, to, afterRelease))
      .selectNoFrom([sql<string>`(select count(*) from released)`.as('released'), sql<string>`(select count(*) from moved)`.as('moved')])
      .execute();
    if (Number(counts?.released) !== 1) return 'user_changed';
    return Number(counts?.moved) === 1 ? stored : 'taken';
  }
  return db.transaction().execute(async (tx) => {
    const releasedRow = await releasingAsFound(tx).executeTakeFirst();
    if (Number(releasedRow.numUpdatedRows) !== 1) return 'user_changed';
    return (await storingFlow(tx, flow, to).execute()).length === 1 ? stored : 'taken';
  });
}

export async function clearFailures(db: Queryable, companyId: string, userId: string) {
  await db
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: null, lock_streak: 0 })
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .execute();
}

/**
 * The refusal for a proof that found no attempt left (a step-up, or a login past its
 * password): the account locked, with the lock's end as Retry-After (read now: the refusal
 * itself may have just set it), or, while wrong attempts are still being counted and no
 * lock is set yet, a short wait. Only those who proved the password are told of a lock.
 */
export async function lockedRefusal(deps: Pick<CoreDeps, 'db' | 'clock'>, who: { companyId: string; userId: string }): Promise<GatehouseError> {
  const row = await deps.db.selectFrom('users').select('locked_until').where('company_id', '=', who.companyId).where('id', '=', who.userId).executeTakeFirst();
  const left = Number(row?.locked_until ?? 0) - deps.clock();
  return left > 0 ? new GatehouseError('account.locked', { retryAfterSeconds: left / 1000 }) : new GatehouseError('request.rate_limited');
}
