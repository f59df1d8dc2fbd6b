// A login's copies: the same code or key answer sent twice by a browser, or again by a
// client that retries, race on one flow. Only one of them can hold what decides (an
// attempt slot at the code step, a key's challenge); the others are refused without being
// checked, and such a refusal is no guess. Counted against the flow like one, five of them
// ended the flow under the twin that was about to sign in, and nobody got in. So the flow
// counts its requests in flight (`login_flows.attempts_in_flight`), and a copy refused
// while another request of its flow is in flight is answered 409
// login.attempt_in_progress ("try again"), counted against nothing.
//
// The answer depends on the flow alone, never on the code it carried, so it tells nothing
// about the code. At the code step a request is counted in flight by the write that takes
// its slot (lockout.ts reserveAttempt), so "in flight" means "holds a slot": a copy that
// found no slot while its twin held one is told so; without such a twin (a locked account)
// the refusal is counted as before.
//
// A request that dies between its write and its answer (a killed process) leaves its count
// behind. So a count means "in flight" only while it is recent: it records when it started
// from none (`in_flight_since`), and once that is IN_FLIGHT_STALE_MS ago (flows.ts: longer
// than any counted request takes) it is read as none and the next counting write starts it
// over at 1. A dead request's flow answers its refused copies "try again" (which lets
// nothing more be checked) for at most that long, then as if it had never been counted.
import { sql, type QueryCreator } from 'kysely';
import { GatehouseError } from '../errors.ts';
import type { Database, Queryable } from '../storage/index.ts';
import type { WebauthnChallengesTable } from '../storage/schema.ts';
import { onPostgres } from './lockout.ts';
import { countingInFlight, liveInFlight, type FlowRow } from './flows.ts';

type FlowName = Pick<FlowRow, 'id_hash'>;

/** The request has its answer: one fewer in flight. Nothing when the flow is gone (a login finished it). */
export async function answeredInFlight(db: Queryable, flow: FlowName): Promise<void> {
  await uncounting(db, flow).execute();
}

const uncounting = (db: Queryable, flow: FlowName) =>
  db
    .updateTable('login_flows')
    .set({ attempts_in_flight: sql<number>`case when attempts_in_flight > 0 then attempts_in_flight - 1 else 0 end` })
    .where('id_hash', '=', flow.id_hash);

/** Whether another request of this flow is in flight now (this one is not counted); a stale count is none. */
export async function twinInFlight(db: Queryable, flow: FlowName, now: number): Promise<boolean> {
  const row = await db.selectFrom('login_flows').select(liveInFlight(now).as('in_flight')).where('id_hash', '=', flow.id_hash).executeTakeFirst();
  return Number(row?.in_flight ?? 0) > 0;
}

/** The refusal of a copy whose twin is in flight: no guess, so it counts against nothing. */
export const twinAnswer = () => new GatehouseError('login.attempt_in_progress');

/**
 * Takes the flow's pending key challenge (single use, as takeChallenge) and counts this
 * request in flight, in one statement on PostgreSQL (the flow's row before the challenge's,
 * as a deactivation deletes them: lockout.ts LOCK ORDER) and one transaction on SQLite.
 * Every request is counted, also one that finds no challenge: it is uncounted at once and
 * then asks whether anyone else is still in flight (a twin that took the challenge, or
 * another copy at this very point, which a retry sorts out). With a challenge, the caller
 * answers for the request (answeredInFlight) unless its login consumed the flow. `twin`:
 * none was found while another request of the flow was in flight; false also when the flow
 * is gone (a twin finished the login), which is refused as before.
 */
export async function takeFlowChallenge(db: Queryable, flow: FlowName, purpose: WebauthnChallengesTable['purpose'], now: number) {
  const taking = (qc: QueryCreator<Database>) =>
    qc
      .deleteFrom('webauthn_challenges')
      .where('binding_hash', '=', flow.id_hash)
      .where('purpose', '=', purpose)
      .returning(['challenge', 'company_id', 'user_id', 'expires_at']);
  let counted: boolean;
  let taken: { challenge: string; company_id: string | null; user_id: string | null; expires_at: number } | undefined;
  if (onPostgres(db)) {
    const rows = await db
      .with('counted', (qc) => countingInFlight(qc, flow, now).returning('id_hash'))
      .with('taken', (qc) => taking(qc).where(sql<boolean>`exists (select 1 from counted)`))
      .selectNoFrom([
        sql<string>`(select count(*) from counted)`.as('counted'),
        sql<string | null>`(select challenge from taken)`.as('challenge'),
        sql<string | null>`(select company_id from taken)`.as('company_id'),
        sql<string | null>`(select user_id from taken)`.as('user_id'),
        sql<string | null>`(select expires_at from taken)`.as('expires_at'),
      ])
      .execute();
    const row = rows[0];
    counted = Number(row?.counted) === 1;
    taken = row?.challenge ? { challenge: row.challenge, company_id: row.company_id, user_id: row.user_id, expires_at: Number(row.expires_at) } : undefined;
  } else {
    ({ counted, taken } = await db.transaction().execute(async (tx) => {
      const marked = Number((await countingInFlight(tx, flow, now).executeTakeFirst()).numUpdatedRows) === 1;
      return { counted: marked, taken: marked ? await taking(tx).executeTakeFirst() : undefined };
    }));
  }
  if (taken && taken.expires_at > now) return { challenge: taken, twin: false, gone: false };
  if (counted) await answeredInFlight(db, flow);
  // An expired challenge was this request's own to refuse; none at all may be a twin's
  // doing. Not counted: the flow itself is gone (another login of the user ended it).
  return { challenge: undefined, twin: !taken && counted && (await twinInFlight(db, flow, now)), gone: !counted };
}

/**
 * The rest of a request counted in flight; it is answered for however `run` ends, unless
 * it succeeded and `consumes` (a finished login deleted the flow, and with it the count).
 */
export async function answeringFor<T>(db: Queryable, flow: FlowName, consumes: boolean, run: () => Promise<T>): Promise<T> {
  let consumed = false;
  try {
    const result = await run();
    consumed = consumes;
    return result;
  } finally {
    if (!consumed) await answeredInFlight(db, flow);
  }
}
