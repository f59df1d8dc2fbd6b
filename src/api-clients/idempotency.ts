// Idempotency keys on the API's creates (the IETF httpapi Idempotency-Key header): the
// same key from the same client with the same request within 24 hours answers the first
// result again and does nothing twice; the same key with another request is refused.
// The row is written before the work starts, so its primary key (client, key) lets only
// one of two concurrent duplicates run, on any node; the other is told to try again.
import { createHash } from 'node:crypto';
import { GatehouseError } from '../errors.ts';
import { isUniqueViolation, type Queryable } from '../storage/index.ts';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

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
    if (!first || first.response_status === null || first.response_body === null) throw new GatehouseError('api.idempotency_in_progress');
    return { status: Number(first.response_status), body: JSON.parse(first.response_body), replayed: true };
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
