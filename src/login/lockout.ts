// Password and TOTP attempts per user are reserved before they are checked: one
// conditional UPDATE takes a slot while fewer than the company's threshold are used, so
// even 50 parallel wrong guesses get at most that many evaluations before the account
// locks. Threshold and lock duration come from the company's policy; the constants
// below are the defaults.
import { PostgresAdapter, sql, type ExpressionBuilder, type QueryCreator } from 'kysely';
import { getCompanyPolicy, type CompanyPolicy } from '../companies/index.ts';
import type { Database, Queryable } from '../storage/index.ts';
import { advanceFlow, advancingFlow, storingFlow, type FlowRow, type FlowStep } from './flows.ts';

export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60_000;

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

/** The users row has an attempt slot free: unlocked and under the threshold, or its lock has run out. */
export const slotFree = (rule: LockoutRule, now: number) => (eb: ExpressionBuilder<Database, 'users'>) =>
  eb.or([eb.and([eb('locked_until', 'is', null), eb('failed_logins', '<', rule.threshold)]), eb('locked_until', '<=', now)]);

/** Takes an attempt slot; null when the user is locked (or just ran out of slots). */
export async function reserveAttempt(
  db: Queryable,
  companyId: string,
  userId: string,
  now: number,
  rule: LockoutRule = DEFAULT_LOCKOUT,
): Promise<number | null> {
  const row = await db
    .updateTable('users')
    .set({
      // A lock that has run out starts a fresh count.
      failed_logins: sql<number>`case when locked_until is not null and locked_until <= ${now} then 1 else failed_logins + 1 end`,
      locked_until: sql<number | null>`case when locked_until is not null and locked_until <= ${now} then null else locked_until end`,
    })
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .where(slotFree(rule, now))
    .returning('failed_logins')
    .executeTakeFirst();
  return row ? row.failed_logins : null;
}

/**
 * For a request that got no slot and was a guess (a wrong or unchecked password, a wrong
 * code). When a Master lowered the threshold below an unlocked count, lock now, so the
 * lock runs out like any other instead of holding until the count is cleared. Not called
 * for a right code: slots held by its in-flight twins are not failures.
 */
export async function lockIfOverThreshold(db: Queryable, companyId: string, userId: string, now: number, rule: LockoutRule = DEFAULT_LOCKOUT) {
  await db
    .updateTable('users')
    .set({ locked_until: now + rule.lockMs })
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .where('locked_until', 'is', null)
    .where('failed_logins', '>=', rule.threshold)
    .execute();
}

/** After a wrong password or code: lock once the slots are used up. */
export async function lockIfExhausted(
  db: Queryable,
  companyId: string,
  userId: string,
  used: number,
  now: number,
  rule: LockoutRule = DEFAULT_LOCKOUT,
) {
  if (used < rule.threshold) return false;
  await db
    .updateTable('users')
    .set({ locked_until: now + rule.lockMs })
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .where('locked_until', 'is', null)
    .execute();
  return true;
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
 * A right password's slot given back and its flow moved on to its next step, together:
 * one statement on PostgreSQL, one transaction on SQLite, which cannot write inside WITH.
 * A pending flow (pending-flow.ts) is stored at that step; a stored one ("Use password
 * instead" after single sign-on) is advanced from the step it was read at. Both only while
 * the user is as the password step found it (the same password hash, active, its company
 * active): a password change, deactivation or suspension that raced the hash ends the
 * login, and on PostgreSQL the user's row lock makes a concurrent change wait or be waited
 * for. 'taken': the flow was stored or moved on already (a raced or replayed request); the
 * slot is given back all the same. 'user_changed': nothing was written.
 */
export async function releaseAttemptAndMoveOn(
  db: Queryable,
  user: { company_id: string; id: string; password_hash: string },
  found: { kind: 'pending' | 'stored'; flow: FlowRow },
  to: FlowStep,
): Promise<'moved' | 'taken' | 'user_changed'> {
  const releasingAsFound = (qc: QueryCreator<Database>) =>
    releasing(qc, user.company_id, user.id).where('password_hash', '=', user.password_hash).where(activeInActiveCompany);
  const { flow } = found;
  if (onPostgres(db)) {
    const released = db.with('released', (qc) => releasingAsFound(qc).returning('id'));
    const afterRelease = sql<boolean>`exists (select 1 from released)`;
    const moved =
      found.kind === 'pending'
        ? released.with('moved', (qc) => storingFlow(qc, flow, to, afterRelease))
        : released.with('moved', (qc) => advancingFlow(qc, flow, to).where(afterRelease).returning('id_hash'));
    const [counts] = await moved
      .selectNoFrom([sql<string>`(select count(*) from released)`.as('released'), sql<string>`(select count(*) from moved)`.as('moved')])
      .execute();
    if (Number(counts?.released) !== 1) return 'user_changed';
    return Number(counts?.moved) === 1 ? 'moved' : 'taken';
  }
  return db.transaction().execute(async (tx) => {
    const releasedRow = await releasingAsFound(tx).executeTakeFirst();
    if (Number(releasedRow.numUpdatedRows) !== 1) return 'user_changed';
    if (found.kind === 'pending') return (await storingFlow(tx, flow, to).execute()).length === 1 ? 'moved' : 'taken';
    return (await advanceFlow(tx, flow, to)) ? 'moved' : 'taken';
  });
}

export async function clearFailures(db: Queryable, companyId: string, userId: string) {
  await db
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: null })
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .execute();
}
