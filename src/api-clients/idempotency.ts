// Idempotency keys on the API's creates (the IETF httpapi Idempotency-Key header): the
// same key from the same client with the same request within 24 hours answers the first
// result again and does nothing twice; the same key with another request is refused.
// The row is written before the work starts, so its primary key (client, key) lets only
// one of two concurrent duplicates run, on any node; the other is told to try again.
// A run that never finished (the node stopped mid-run, or its answer could not be stored)
// leaves its row without an answer: past ABANDONED_AFTER_MS a repeat takes the key over
// and runs, instead of hearing "try again shortly" for the rest of the 24 hours.
import { createHash } from 'node:crypto';
import { GatehouseError } from '../errors.ts';
import { isUniqueViolation, type Queryable } from '../storage/index.ts';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

/**
 * How long a run may take before a repeat may take its key over. A create is a few
 * statements and a queued mail, done in well under a second; two minutes is far past any
 * run still going (a request is cut off long before: GATEHOUSE_REQUEST_TIMEOUT_SECONDS).
 * If the abandoned run did commit its work, the repeat meets what it made (a taken
 * username, a pending request with that name) and is refused as such: nothing is made twice.
 */
export const ABANDONED_AFTER_MS = 2 * 60_000;

export interface StoredAnswer {
  status: number;
  body: unknown;
  /**
   * What a replay answers instead of `body`, when the first answer holds a secret shown
   * once (a client secret): secrets are never kept in plain text, not even for a retry.
   */
  replayBody?: unknown;
}

/** The route and its validated body: what "the same request" means. */
function requestHash(route: string, body: unknown): string {
  return createHash('sha256').update(`${route}\n${JSON.stringify(body ?? null)}`).digest('base64url');
}

/**
 * Runs `work` once per (client, key): a repeat answers what the first run answered, with
 * `replayed` set. A failed run leaves no trace, so the client may retry with the same key.
 */
export async function runOnce(
  db: Queryable,
  request: { apiClientId: string; key: string; route: string; body: unknown },
  now: number,
  work: () => Promise<StoredAnswer>,
): Promise<StoredAnswer & { replayed: boolean }> {
  const hash = requestHash(request.route, request.body);
  // Keys older than the window are forgotten (this one, and any other client's, while here).
  await db.deleteFrom('idempotency_keys').where('created_at', '<=', now - IDEMPOTENCY_WINDOW_MS).execute();
  try {
    await db
      .insertInto('idempotency_keys')
      .values({ api_client_id: request.apiClientId, key: request.key, request_hash: hash, response_status: null, response_body: null, created_at: now })
      .execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const first = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('api_client_id', '=', request.apiClientId)
      .where('key', '=', request.key)
      .executeTakeFirst();
    if (first && first.request_hash !== hash) throw new GatehouseError('api.idempotency_key_reused');
    if (first && first.response_status !== null && first.response_body !== null) {
      return { status: Number(first.response_status), body: JSON.parse(first.response_body), replayed: true };
    }
    if (!first || !(await tookOverAbandoned(db, request, Number(first.created_at), now))) throw new GatehouseError('api.idempotency_in_progress');
  }
  const forget = () => db.deleteFrom('idempotency_keys').where('api_client_id', '=', request.apiClientId).where('key', '=', request.key).execute();
  let answer: StoredAnswer;
  try {
    answer = await work();
  } catch (error) {
    await forget().catch(() => {});
    throw error;
  }
  await db
    .updateTable('idempotency_keys')
    .set({ response_status: answer.status, response_body: JSON.stringify(answer.replayBody ?? answer.body) })
    .where('api_client_id', '=', request.apiClientId)
    .where('key', '=', request.key)
    .execute();
  return { ...answer, replayed: false };
}

/**
 * A run without an answer, started ABANDONED_AFTER_MS or more ago, becomes this request's:
 * one conditional update on the start it was seen with, so of several repeats at once
 * exactly one takes it (on any node) and the others are told to try again.
 */
async function tookOverAbandoned(db: Queryable, request: { apiClientId: string; key: string }, startedAt: number, now: number): Promise<boolean> {
  if (now - startedAt < ABANDONED_AFTER_MS) return false;
  const taken = await db
    .updateTable('idempotency_keys')
    .set({ created_at: now })
    .where('api_client_id', '=', request.apiClientId)
    .where('key', '=', request.key)
    .where('response_status', 'is', null)
    .where('created_at', '=', startedAt)
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}
