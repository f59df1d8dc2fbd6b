// The login's password step in one write (lockout.ts: the slot held, not counted): before
// the hash, an attempt slot is held on the user and the flow is stored at its next step,
// under the name only a right password is given (pending-flow.ts). A right password then
// writes nothing more; a wrong one turns the hold into a failure and deletes the flow.
import { sql, type QueryCreator } from 'kysely';
import type { Database, Queryable } from '../storage/index.ts';
import { givingHoldBack, takingHold } from './attempt-holds.ts';
import { storingFlow, type FlowRow } from './flows.ts';
import { activeInActiveCompany, failuresAfter, lockIfExhausted, lockLeft, onPostgres, slotFree, type LockoutRule, type LockTarget } from './lockout.ts';

type HoldingUser = { company_id: string; id: string; password_hash: string };
type Who = { company_id: string; id: string };

/** The user's row as the password step read it: the same password hash, and still active. */
function asRead(qc: QueryCreator<Database>, user: HoldingUser) {
  return qc.updateTable('users').where('company_id', '=', user.company_id).where('id', '=', user.id).where('password_hash', '=', user.password_hash).where(activeInActiveCompany);
}

/** A hold taken in the flow's window; a lock that has run out starts a fresh count. */
function holding(qc: QueryCreator<Database>, user: HoldingUser, rule: LockoutRule, now: number, window: number) {
  return asRead(qc, user)
    .set({ failed_logins: failuresAfter(now, 0), locked_until: lockLeft(now), ...takingHold(window) })
    .where(slotFree(rule, now));
}

const TAKEN = Symbol('taken');

/**
 * The one write: a slot held (in the window `flow.slot_hold_window`) and the flow stored at
 * its step, only while the user is as the step read it (asRead): a password change,
 * deactivation or suspension before it leaves nothing written, and one after it ends the
 * user's unfinished logins, this one included (users/access.ts). One statement on
 * PostgreSQL (the flow stored only where the hold was taken), one transaction on SQLite.
 * 'refused': no slot, or the user changed; nothing written. 'taken': a flow of that name
 * is stored already (a replayed or doubled request); nothing is left held.
 */
export async function holdAttemptAndStoreFlow(db: Queryable, user: HoldingUser, flow: FlowRow & { slot_hold_window: number }, rule: LockoutRule, now: number): Promise<'held' | 'taken' | 'refused'> {
  const window = flow.slot_hold_window;
  if (onPostgres(db)) {
    const [counts] = await db
      .with('held', (qc) => holding(qc, user, rule, now, window).returning('id'))
      .with('stored', (qc) => storingFlow(qc, flow, flow.step, sql<boolean>`exists (select 1 from held)`))
      .selectNoFrom([sql<string>`(select count(*) from held)`.as('held'), sql<string>`(select count(*) from stored)`.as('stored')])
      .execute();
    if (Number(counts?.held) !== 1) return 'refused';
    if (Number(counts?.stored) === 1) return 'held';
    await giveHoldBack(db, user, window);
    return 'taken';
  }
  try {
    return await db.transaction().execute(async (tx) => {
      if (Number((await holding(tx, user, rule, now, window).executeTakeFirst()).numUpdatedRows) !== 1) return 'refused' as const;
      if ((await storingFlow(tx, flow, flow.step).execute()).length !== 1) throw TAKEN; // rolls the hold back
      return 'held' as const;
    });
  } catch (error) {
    if (error === TAKEN) return 'taken';
    throw error;
  }
}

/** Gives back the hold taken in `window`, without a failure (its hash never ran). */
export async function giveHoldBack(db: Queryable, user: Who, window: number) {
  await db.updateTable('users').set(givingHoldBack(window)).where('company_id', '=', user.company_id).where('id', '=', user.id).execute();
}

/**
 * A wrong password after holdAttemptAndStoreFlow: its hold becomes a failure and the flow
 * stored for it is deleted (no one was given its name); then the account locks once the
 * failures reach the threshold (lockIfExhausted, which records the lock). True when
 * the failures reached it.
 */
export async function failHeldAttempt(db: Queryable, target: LockTarget, flow: FlowRow & { slot_hold_window: number }, rule: LockoutRule, now: number): Promise<boolean> {
  const failing = (qc: QueryCreator<Database>) =>
    qc
      .updateTable('users')
      .set({ failed_logins: failuresAfter(now, 1), locked_until: lockLeft(now), ...givingHoldBack(flow.slot_hold_window) })
      .where('company_id', '=', target.companyId)
      .where('id', '=', target.userId)
      .returning('failed_logins');
  const dropping = (qc: QueryCreator<Database>) => qc.deleteFrom('login_flows').where('id_hash', '=', flow.id_hash);
  const row = onPostgres(db)
    ? await db.with('failed', failing).with('dropped', dropping).selectFrom('failed').select('failed_logins').executeTakeFirst()
    : await db.transaction().execute(async (tx) => {
        const failed = await failing(tx).executeTakeFirst();
        await dropping(tx).execute();
        return failed;
      });
  return row !== undefined && (await lockIfExhausted(db, target, row.failed_logins, now, rule));
}
