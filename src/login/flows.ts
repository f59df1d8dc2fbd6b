// Login flow rows: one per sign-in attempt, named by a random token in an HttpOnly
// cookie (stored hashed). The row records how far the person has got, so no step can be
// skipped by calling a later endpoint directly. Until its password is proved, a flow
// lives in its cookie alone (pending-flow.ts); steps take their flow from the cookie
// through flow-cookie.ts, which knows both kinds.
import { hashToken, randomToken } from '../crypto/index.ts';
import { rowInsertedIf, type Database, type Queryable } from '../storage/index.ts';
import { sweepPacer } from '../storage/sweep-pacer.ts';
import { sql, type QueryCreator, type RawBuilder, type Selectable } from 'kysely';
import type { LoginFlowsTable } from '../storage/schema.ts';

export const FLOW_TTL_MS = 10 * 60_000;
/** A flow as a step reads it; its requests in flight are only ever read fresh (attempts-in-flight.ts). */
export type FlowRow = Omit<Selectable<LoginFlowsTable>, 'attempts_in_flight'>;
export type FlowStep = LoginFlowsTable['step'];

export async function createFlow(
  db: Queryable,
  input: { companyId: string | null; userId: string | null; username: string; companyName: string; returnTo: string | null; step?: FlowStep },
  now: number,
): Promise<string> {
  const token = randomToken();
  await db
    .insertInto('login_flows')
    .values({
      id_hash: hashToken(token),
      company_id: input.companyId,
      user_id: input.userId,
      username: input.username,
      company_name: input.companyName,
      step: input.step ?? 'password',
      enroll_secret: null,
      totp_failures: 0,
      return_to: input.returnTo,
      expires_at: now + FLOW_TTL_MS,
      created_at: now,
    })
    .execute();
  await sweepExpiredFlows(db, now);
  return token;
}

// Expired flows are only clutter (nothing returns one): swept on the way, once a minute
// per process (sweep-pacer.ts), not by a DELETE in every login.
const sweepDue = sweepPacer();
export async function sweepExpiredFlows(db: Queryable, now: number) {
  if (sweepDue(now)) await db.deleteFrom('login_flows').where('expires_at', '<', now - FLOW_TTL_MS).execute();
}

/** The stored flow a token names, unexpired (flow-cookie.ts is the door that also knows pending flows). */
export async function findStoredFlow(db: Queryable, token: string, now: number): Promise<FlowRow | undefined> {
  return db
    .selectFrom('login_flows')
    .selectAll()
    .where('id_hash', '=', hashToken(token))
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** Moves a flow forward only from the step it was read at (a raced request loses). */
export async function advanceFlow(db: Queryable, flow: FlowRow, to: FlowStep): Promise<boolean> {
  const result = await advancingFlow(db, flow, to).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** advanceFlow's statement, to be a part of another (PostgreSQL's WITH). */
export function advancingFlow(db: QueryCreator<Database>, flow: FlowRow, to: FlowStep) {
  return db.updateTable('login_flows').set({ step: to }).where('id_hash', '=', flow.id_hash).where('step', '=', flow.step);
}

/**
 * Ends a flow at its last step; undefined when it was already used (single use). The row
 * says whether its password step's hold is still its own to give back (attempt-holds.ts).
 */
export async function consumeFlow(db: Queryable, flow: FlowRow): Promise<Pick<FlowRow, 'slot_hold_window'> | undefined> {
  return consumingFlow(db, flow).returning('slot_hold_window').executeTakeFirst();
}

/** consumeFlow's statement, to be a part of another (PostgreSQL's WITH). */
export function consumingFlow(db: QueryCreator<Database>, flow: FlowRow) {
  return db.deleteFrom('login_flows').where('id_hash', '=', flow.id_hash).where('step', '=', flow.step);
}

/**
 * A pending flow stored at `step` (by the password step), or nothing when a flow of that
 * name is stored already (single use). With `onlyIf`, only where that holds (so
 * PostgreSQL can make it depend on another part of its WITH).
 */
export function storingFlow(db: QueryCreator<Database>, flow: FlowRow, step: FlowStep, onlyIf?: RawBuilder<boolean>) {
  const row = { ...flow, step };
  const filled = onlyIf ? rowInsertedIf(db, 'login_flows', row, onlyIf) : db.insertInto('login_flows').values(row);
  return filled.onConflict((oc) => oc.column('id_hash').doNothing()).returning('id_hash');
}

/** Deletes a stored flow, by its row or by the token that names it. */
export async function deleteStoredFlow(db: Queryable, flow: Pick<FlowRow, 'id_hash'> | string): Promise<void> {
  const idHash = typeof flow === 'string' ? hashToken(flow) : flow.id_hash;
  await db.deleteFrom('login_flows').where('id_hash', '=', idHash).execute();
}

/** The flow counts one more request in flight (attempts-in-flight.ts), as a part of another statement. */
export function countingInFlight(db: QueryCreator<Database>, flow: Pick<FlowRow, 'id_hash'>) {
  return db.updateTable('login_flows').set({ attempts_in_flight: sql<number>`attempts_in_flight + 1` }).where('id_hash', '=', flow.id_hash);
}

/** Counts a wrong code atomically; returns the new count. */
export async function countTotpFailure(db: Queryable, flow: FlowRow): Promise<number> {
  const row = await db
    .updateTable('login_flows')
    .set((eb) => ({ totp_failures: eb('totp_failures', '+', 1) }))
    .where('id_hash', '=', flow.id_hash)
    .returning('totp_failures')
    .executeTakeFirst();
  return row?.totp_failures ?? Number.MAX_SAFE_INTEGER;
}

/** Stores the pending enrollment secret once; later calls keep the first one. */
export async function setEnrollSecretOnce(db: Queryable, flow: FlowRow, encrypted: string): Promise<void> {
  await db
    .updateTable('login_flows')
    .set({ enroll_secret: encrypted })
    .where('id_hash', '=', flow.id_hash)
    .where('enroll_secret', 'is', null)
    .execute();
}
