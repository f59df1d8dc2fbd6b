// An API client at work: each request with one of its tokens checks that the client is
// still live with the secret the token was obtained with, counts the request in the
// client's rate-limit window and notes when it was last used, all in one conditional
// UPDATE on that secret's tag (one round trip), so nodes behind a load balancer share one
// count, a deleted or expired client is refused from its very next request, and a token
// of a secret rotated away spends nothing of the client's budget. Each change the request
// then makes checks the client again, in the change's own transaction (asClient).
import { sql } from 'kysely';
import { assertThat, GatehouseError } from '../errors.ts';
import { rolledBuckets, type Queryable } from '../storage/index.ts';
import { parseStoredScopes, type ApiScope } from './scopes.ts';
import { liveApiClient } from './store.ts';

/** Who acts on an /api/v1 request: the API client its bearer token was issued to. */
export interface ApiActor {
  /** The row id (audit trail, created_by of what it makes). */
  apiClientId: string;
  /** The OAuth client id, `ghapi_...`. */
  clientId: string;
  name: string;
  /** The only company it may reach; null for a platform client, which reaches every company. */
  companyId: string | null;
  /** What this request may do: the client's scopes, narrowed to the token's when it asked for fewer. */
  scopes: ApiScope[];
  /** Which secret the request's token was obtained with (credentialTag): stillHoldsSecret checks it again where it matters. */
  credentialTag: string;
}

export interface RatePolicy {
  limit: number;
  windowMs: number;
}

export interface ApiClientUse {
  actor: ApiActor;
  /** Requests counted in the last windowMs (the current bucket and the one before), this one included. */
  used: number;
  /** When the count next falls: the current bucket's end, or the next one's while the current alone holds the limit. */
  resetsAt: number;
}

export async function useApiClient(
  db: Queryable,
  token: { clientId: string; credentialTag: string | undefined; scopes: readonly string[] },
  now: number,
  policy: RatePolicy,
): Promise<ApiClientUse | undefined> {
  // No tag, no client: '' is what a row written without one holds (migration 0028).
  if (!token.credentialTag) return undefined;
  // Counted as every cap counts (src/storage/rate-caps.ts): contiguous buckets of windowMs,
  // the current one's start and count and the count of the one before, so the limit holds
  // in ANY interval of windowMs (a window reset wholesale let 2 × limit through in a moment).
  const W = policy.windowMs;
  const buckets = rolledBuckets('api_clients', { start: 'window_start', count: 'window_count', previous: 'window_previous_count' }, now, W);
  // One statement: a token of a secret rotated away, or of a client no longer live, matches
  // no row, so it is refused before it counts (it would spend the budget of whoever holds
  // the new secret) or marks the client used; a rotation committing meanwhile is seen too,
  // the tag changing with the hash in the rotation's one UPDATE. Plain SQL equality, not a
  // constant-time compare, is safe here: the tag is no secret (a digest of the stored keyed
  // hash, from which neither that hash nor the secret can be worked back, and knowing it
  // gets no token: the token endpoint checks the secret itself), and the value compared is
  // the one the provider stored with the token, not anything a caller sends.
  const row = await db
    .updateTable('api_clients')
    .set({
      last_used_at: now,
      window_count: sql<number>`${buckets.current} + 1`,
      window_previous_count: buckets.previous,
      window_start: buckets.start,
    })
    .where('client_id', '=', token.clientId)
    .where('credential_tag', '=', token.credentialTag)
    .where(liveApiClient(now))
    .returning(['id', 'client_id', 'name', 'company_id', 'scopes', 'window_start', 'window_count', 'window_previous_count'])
    .executeTakeFirst();
  if (!row) return undefined;
  const granted = parseStoredScopes(row.scopes);
  // A token that asked for no scope carries all of the client's; one that asked for some
  // carries those (the provider refuses a token asking for any other: invalid_scope).
  // Either way never more than the client has now.
  const scopes = token.scopes.length === 0 ? granted : granted.filter((scope) => token.scopes.includes(scope));
  return {
    actor: { apiClientId: row.id, clientId: row.client_id, name: row.name, companyId: row.company_id, scopes, credentialTag: token.credentialTag },
    used: Number(row.window_previous_count) + Number(row.window_count),
    resetsAt: Number(row.window_start) + (Number(row.window_count) >= policy.limit ? 2 * W : W),
  };
}

/**
 * An API client's change, in the change's own transaction: `change` runs only while the
 * client stands as the guard would find it now, and it commits only while the client still
 * has the secret the request's token was obtained with; else `401 api.invalid_token`, as a
 * new request gets, and nothing is written. The guard checked the client as the request
 * came in, before its body was read: a deletion, rotation, expiry, suspension or lost
 * holder committed since is found by the first read; a deletion or rotation committed
 * while the change was being written, by the last step, which locks the client's row (a
 * no-op UPDATE) so that one coming after waits until this change commits. Last, so rows
 * are locked in the order of every other change that touches a client's (a holder's
 * demotion, a rotation: the person's row, then the client's), and on the client's secret
 * only, so a change that ends the client's own standing (its holder deactivated by it)
 * is still made. Every /api/v1 write reaches this (src/http/api-client-guard.ts, checkClientsInTransactions).
 */
export async function asClient<T>(tx: Queryable, actor: { apiClientId: string; credentialTag: string }, now: number, change: () => Promise<T>): Promise<T> {
  if (!(await clientStands(tx, actor, now))) throw new GatehouseError('api.invalid_token');
  const result = await change();
  const kept = await tx
    .updateTable('api_clients')
    .set((eb) => ({ credential_tag: eb.ref('credential_tag') }))
    .where('id', '=', actor.apiClientId)
    .where('deleted_at', 'is', null)
    .where('credential_tag', '=', actor.credentialTag)
    .returning('id')
    .executeTakeFirst();
  if (!kept) throw new GatehouseError('api.invalid_token');
  return result;
}

/**
 * The client stands as the guard would find it now: live (not deleted, expired or of a
 * suspended company) and holding the secret the request's token was obtained with. The
 * secret is compared by its tag, stored with it and changed with it by a rotation's one
 * UPDATE (store.ts, secretColumns): the same test as the hash, without deriving it here.
 */
export async function clientStands(db: Queryable, actor: { apiClientId: string; credentialTag: string }, now: number): Promise<boolean> {
  const standing = await db.selectFrom('api_clients').select('id').where('id', '=', actor.apiClientId).where('credential_tag', '=', actor.credentialTag).where(liveApiClient(now)).executeTakeFirst();
  return standing !== undefined;
}

/**
 * For a transaction acting on a client's word where who holds its secret matters (a 2FA
 * reset asked under the two-person rule, which bars that holder from approving it): true
 * only while the client is live and its secret is still the one the request's token was
 * obtained with, checked as the transaction's last step with the client's row locked. A
 * rotation committed since the request was let in (it withdraws what the client asked
 * under the previous holder, but could not withdraw this, not yet written) makes it false;
 * a rotation after this waits for the lock, then withdraws what was written.
 */
export async function stillHoldsSecret(tx: Queryable, actor: { apiClientId: string; credentialTag: string }, now: number): Promise<boolean> {
  const row = await tx
    .updateTable('api_clients')
    .set((eb) => ({ credential_tag: eb.ref('credential_tag') }))
    .where('id', '=', actor.apiClientId)
    .where(liveApiClient(now))
    // The tag compared here, not in the WHERE: the row is locked whenever the client is
    // live, whatever its secret, as it always was.
    .returning('credential_tag')
    .executeTakeFirst();
  return row !== undefined && row.credential_tag === actor.credentialTag;
}

/**
 * The company an actor names in a URL, if it may reach it: its own, or any existing
 * company for a platform client; never the platform company, whose users are the
 * operators (a client with users:write would otherwise make operators). Anything else is
 * "not found", exactly like an id that does not exist.
 */
export async function reachCompany(db: Queryable, actor: ApiActor, companyId: string): Promise<string> {
  assertThat(actor.companyId === null || actor.companyId === companyId, 'request.not_found');
  const company = await db.selectFrom('companies').select('id').where('id', '=', companyId).where('is_platform', '=', 0).executeTakeFirst();
  assertThat(company, 'request.not_found');
  return company.id;
}
