// Login flow rows: one per sign-in attempt, named by a random token in an HttpOnly
// cookie (stored hashed). The row records how far the person has got, so no step can be
// skipped by calling a later endpoint directly. Until its password is proved, a flow
// lives in its cookie alone (pending-flow.ts); steps take their flow from the cookie
// through flow-cookie.ts, which knows both kinds.
import { hashToken, randomToken } from '../crypto/index.ts';
import { rowInsertedIf, type Database, type Queryable } from '../storage/index.ts';
import { sweepPacer } from '../storage/sweep-pacer.ts';
import { PostgresAdapter, sql, type QueryCreator, type RawBuilder, type Selectable } from 'kysely';
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

/**
 * A flow that moves past a proof (the password, a code, the identity provider's answer)
 * is renamed in the same write: a new random token, a new stored name, so a copy of its
 * cookie taken before the proof (a shared machine, a proxy's log, malware) names nothing
 * afterwards. Only the normal password step needs none of this: it stores a pending flow
 * under a name its cookie never held (pending-flow.ts). The new token carries the login's
 * id in front of its random part (flow-cookie.ts loginIdOfToken), so the page's
 * X-Gatehouse-Login still names it without a read; its random part is the secret.
 */
const RENAMED_TOKEN = /^([0-9a-f]{32})\.[A-Za-z0-9_-]{43}$/;

/** The login id a renamed flow's token carries; undefined for any other token. */
export const loginIdInToken = (token: string): string | undefined => RENAMED_TOKEN.exec(token)?.[1];

/** The flow's step move, as a step writes it: only from the name and step it was read at. */
type FlowMove = ReturnType<typeof renamingFlow>;

// An enrollment secret is encrypted under the flow's name (enrollment.ts) and was shown
// before the proof: it does not go on with the new name (every rename is past the enroll
// step's secret, or before one was made).
function renamingFlow(db: QueryCreator<Database>, flow: Pick<FlowRow, 'id_hash' | 'step'>, to: FlowStep, idHash: string) {
  return db.updateTable('login_flows').set({ step: to, id_hash: idHash, enroll_secret: null }).where('id_hash', '=', flow.id_hash).where('step', '=', flow.step);
}

/**
 * The provider's request bound to the flow, locked before the flow's row (an InitPlan, as
 * lockout.ts userLockedFirst), in the order a provider's answer (src/sso/sign-in.ts) and a
 * change of the provider (src/sso/providers.ts, settings.ts) take them; true whether or not
 * there is one. PostgreSQL only.
 */
const requestLockedFirst = (flowHash: string) =>
  sql<boolean>`(select count(*) from (select 1 from sso_requests where flow_hash = ${flowHash} for no key update) as bound) >= 0`;

/**
 * What else is named by the flow's stored name, moved to its new one in the rename's write:
 * the key challenges made for it (webauthn_challenges.binding_hash) and the provider's
 * request it made (sso_requests.flow_hash). A row added later that is keyed by the flow's
 * name belongs here too.
 */
const boundToFlowName = [
  (db: QueryCreator<Database>, from: string, to: string) => db.updateTable('webauthn_challenges').set({ binding_hash: to }).where('binding_hash', '=', from),
  (db: QueryCreator<Database>, from: string, to: string) => db.updateTable('sso_requests').set({ flow_hash: to }).where('flow_hash', '=', from),
] as const;

/**
 * Moves a stored flow past a proof to `to` and renames it (above), atomically: one
 * statement on PostgreSQL (the provider's request, the flow, its key challenges: LOCK
 * ORDER, lockout.ts), one transaction on SQLite (the caller's, when `db` is one).
 * Conditional on the name and step it was read at, so of two copies of a request only one
 * moves and renames it. `also` writes the step's own columns and conditions in the same
 * update. Returns the flow's new token, for the answer to set as the flow cookie;
 * undefined when the flow was gone or moved on already (the caller's refusal).
 */
export async function moveFlowPastProof(
  db: Queryable,
  flow: Pick<FlowRow, 'id_hash' | 'step'>,
  to: FlowStep,
  loginId: string,
  also: (move: FlowMove) => FlowMove = (move) => move,
): Promise<string | undefined> {
  const token = `${loginId}.${randomToken()}`;
  const idHash = hashToken(token);
  const moving = (qc: QueryCreator<Database>) => also(renamingFlow(qc, flow, to, idHash));
  // PostgreSQL moves each in a part of the WITH; a row added to boundToFlowName needs its own part.
  const [challenges, request, ...noOtherPart] = boundToFlowName;
  noOtherPart satisfies [];
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const renamed = sql<boolean>`exists (select 1 from moved)`;
    const [row] = await db
      .with('moved', (qc) => moving(qc).where(requestLockedFirst(flow.id_hash)).returning('id_hash'))
      .with('challenges', (qc) => challenges(qc, flow.id_hash, idHash).where(renamed))
      .with('request', (qc) => request(qc, flow.id_hash, idHash).where(renamed))
      .selectNoFrom(sql<string>`(select count(*) from moved)`.as('moved'))
      .execute();
    return Number(row?.moved) === 1 ? token : undefined;
  }
  const run = async (tx: Queryable) => {
    if (Number((await moving(tx).executeTakeFirst()).numUpdatedRows) !== 1) return undefined;
    for (const move of boundToFlowName) await move(tx, flow.id_hash, idHash).execute();
    return token;
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
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
