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
export type FlowRow = Omit<Selectable<LoginFlowsTable>, 'attempts_in_flight' | 'in_flight_since'>;
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

/**
 * How long a flow's count of requests in flight (attempts-in-flight.ts) may go on from
 * the moment it started from none before it is taken for the leftover of a request that
 * died (a killed process) and read as none. Longer than any counted request takes: from
 * its counting write to its answer a request runs a code or signature check and a few
 * statements, each waiting at most 5 s for a connection (PostgreSQL's pool) or the file
 * (SQLite's busy timeout) and for row locks only as long as other short transactions hold
 * them (a deadlock's reruns add under 0.1 s), and no password hash (argon2 runs only
 * at the password step, which is never counted, and a queued hash gives up after
 * HASH_WAIT_MS anyway). GATEHOUSE_REQUEST_TIMEOUT_SECONDS bounds a request's arrival,
 * which comes before its count. A minute is many times that, and a dead request's count
 * then stands for at most a minute, not for the rest of its flow (FLOW_TTL_MS). A count
 * kept up longer by copies that overlap without a break is read as none too: their
 * copies are then counted as guesses, as before the count (never more lenient).
 */
export const IN_FLIGHT_STALE_MS = 60_000;

/** The flow's count of requests in flight, none once it is stale (IN_FLIGHT_STALE_MS), in SQL. */
export const liveInFlight = (now: number) => sql<number>`(case when in_flight_since > ${now - IN_FLIGHT_STALE_MS} then attempts_in_flight else 0 end)`;

/**
 * The flow counts one more request in flight (attempts-in-flight.ts), as a part of another
 * statement. A stale count is started over at 1, and a count started from none records
 * when (`in_flight_since`); one added to keeps its start, so copies retried one after the
 * other cannot keep a dead request's count alive.
 */
export function countingInFlight(db: QueryCreator<Database>, flow: Pick<FlowRow, 'id_hash'>, now: number) {
  return db
    .updateTable('login_flows')
    .set({
      attempts_in_flight: sql<number>`${liveInFlight(now)} + 1`,
      in_flight_since: sql<number>`(case when ${liveInFlight(now)} > 0 then in_flight_since else ${now} end)`,
    })
    .where('id_hash', '=', flow.id_hash);
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
