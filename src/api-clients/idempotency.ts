// Idempotency keys on the creates (the IETF httpapi Idempotency-Key header): the same key
// from the same owner with the same request within 24 hours answers the first result again
// and does nothing twice; the same key with another request is refused. The owner is an
// API client (/api/v1), a signed-in user (the web app's own routes: a console page whose
// answer was lost retries with its key) or the public account request form, each in a
// ledger of its own.
// The row is written before the work starts, so its primary key (owner, key) lets only
// one of two concurrent duplicates run, on any node; the other is told to try again.
// A run that never finished (the node stopped mid-run, or its answer could not be stored)
// leaves its row without an answer: past ABANDONED_AFTER_MS a repeat takes the key over
// and runs, instead of hearing "try again shortly" for the rest of the 24 hours.
import { createHmac } from 'node:crypto';
import type { Insertable } from 'kysely';
import { GatehouseError } from '../errors.ts';
import { isUniqueViolation, type Queryable } from '../storage/index.ts';
import type { IdempotencyKeysTable } from '../storage/schema.ts';

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

/**
 * Whose keys: an API client's (/api/v1), a signed-in user's (the web app's routes), or a
 * public form's (the account request: no one to keep them for; the keys are random).
 */
export type KeyOwner = { apiClientId: string } | { userId: string } | { publicForm: 'account-request' };

/**
 * One key of one owner, and the request that came with it. `digestKey`: the server's key
 * the request is digested with (requestDigest).
 */
export type KeyedRequest = KeyOwner & { key: string; route: string; body: unknown; digestKey: Buffer };

/**
 * The owner's ledger. The two tables have the same columns but the owner's, so the queries
 * are written once, typed by the API clients' table, and run on the one the owner names.
 */
interface Ledger {
  table: 'idempotency_keys';
  ownerColumn: 'api_client_id';
  ownerId: string;
}

function ledgerOf(owner: KeyOwner): Ledger {
  if ('apiClientId' in owner) return { table: 'idempotency_keys', ownerColumn: 'api_client_id', ownerId: owner.apiClientId };
  if ('publicForm' in owner) return { table: 'public_idempotency_keys', ownerColumn: 'form', ownerId: owner.publicForm } as unknown as Ledger;
  return { table: 'user_idempotency_keys', ownerColumn: 'user_id', ownerId: owner.userId } as unknown as Ledger;
}

/**
 * The route and its validated body, what "the same request" means, as a digest keyed with a
 * key only the server holds (HMAC-SHA-256): a body may hold a secret (an identity
 * provider's client secret), and a plain hash of a guessable secret in the ledger could be
 * tried offline by whoever reads the database. Keyed, every field counts, the secret too:
 * a retry that changed only the secret is another request, refused, not answered the first.
 */
function requestDigest(digestKey: Buffer, route: string, body: unknown): string {
  return createHmac('sha256', digestKey).update(`${route}\n${JSON.stringify(body ?? null)}`).digest('base64url');
}

/**
 * Runs `work` once per (owner, key): a repeat answers what the first run answered, with
 * `replayed` set. A failed run leaves no trace, so the owner may retry with the same key.
 */
export async function runOnce(
  db: Queryable,
  request: KeyedRequest,
  now: number,
  work: () => Promise<StoredAnswer>,
): Promise<StoredAnswer & { replayed: boolean }> {
  const ledger = ledgerOf(request);
  const { table, ownerColumn, ownerId } = ledger;
  const hash = requestDigest(request.digestKey, request.route, request.body);
  // Keys older than the window are forgotten (this one, and any other owner's, while here).
  await db.deleteFrom(table).where('created_at', '<=', now - IDEMPOTENCY_WINDOW_MS).execute();
  try {
    const row = { [ownerColumn]: ownerId, key: request.key, request_hash: hash, response_status: null, response_body: null, created_at: now };
    await db.insertInto(table).values(row as Insertable<IdempotencyKeysTable>).execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const first = await db.selectFrom(table).selectAll().where(ownerColumn, '=', ownerId).where('key', '=', request.key).executeTakeFirst();
    if (first && first.request_hash !== hash) throw new GatehouseError('api.idempotency_key_reused');
    if (first && first.response_status !== null && first.response_body !== null) {
      return { status: Number(first.response_status), body: JSON.parse(first.response_body), replayed: true };
    }
    if (!first || !(await tookOverAbandoned(db, ledger, request.key, Number(first.created_at), now))) throw new GatehouseError('api.idempotency_in_progress');
  }
  const forget = () => db.deleteFrom(table).where(ownerColumn, '=', ownerId).where('key', '=', request.key).execute();
  let answer: StoredAnswer;
  try {
    answer = await work();
  } catch (error) {
    await forget().catch(() => {});
    throw error;
  }
  await db
    .updateTable(table)
    .set({ response_status: answer.status, response_body: JSON.stringify(answer.replayBody ?? answer.body) })
    .where(ownerColumn, '=', ownerId)
    .where('key', '=', request.key)
    .execute();
  return { ...answer, replayed: false };
}

/**
 * A run without an answer, started ABANDONED_AFTER_MS or more ago, becomes this request's:
 * one conditional update on the start it was seen with, so of several repeats at once
 * exactly one takes it (on any node) and the others are told to try again.
 */
async function tookOverAbandoned(db: Queryable, { table, ownerColumn, ownerId }: Ledger, key: string, startedAt: number, now: number): Promise<boolean> {
  if (now - startedAt < ABANDONED_AFTER_MS) return false;
  const taken = await db
    .updateTable(table)
    .set({ created_at: now })
    .where(ownerColumn, '=', ownerId)
    .where('key', '=', key)
    .where('response_status', 'is', null)
    .where('created_at', '=', startedAt)
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}
