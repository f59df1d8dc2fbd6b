// An API client at work: each request with one of its tokens checks that the client is
// still live, counts the request in the client's rate-limit window and notes when it
// was last used, all in one conditional UPDATE, so nodes behind a load balancer share
// one count and a deleted or expired client is refused from its very next request.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { assertThat } from '../errors.ts';
import type { Queryable } from '../storage/index.ts';
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
  /** Requests counted in the current window, this one included. */
  used: number;
  windowEndsAt: number;
}

/**
 * Which secret a token was obtained with: derived from the stored hash the provider
 * checked the secret against, and kept in the token. After a rotation the tag changes,
 * so tokens obtained with the old secret stop working at once.
 */
export function credentialTag(secretHash: string): string {
  return createHash('sha256').update(`gatehouse:api-credential:${secretHash}`).digest('base64url').slice(0, 22);
}

export async function useApiClient(
  db: Queryable,
  token: { clientId: string; credentialTag: string | undefined; scopes: readonly string[] },
  now: number,
  policy: RatePolicy,
): Promise<ApiClientUse | undefined> {
  const windowOver = sql<boolean>`api_clients.window_start <= ${now - policy.windowMs}`;
  const row = await db
    .updateTable('api_clients')
    .set({
      last_used_at: now,
      window_count: sql<number>`case when ${windowOver} then 1 else api_clients.window_count + 1 end`,
      window_start: sql<number>`case when ${windowOver} then ${now} else api_clients.window_start end`,
    })
    .where('client_id', '=', token.clientId)
    .where(liveApiClient(now))
    .returning(['id', 'client_id', 'name', 'company_id', 'scopes', 'secret_hash', 'window_start', 'window_count'])
    .executeTakeFirst();
  if (!row || token.credentialTag !== credentialTag(row.secret_hash)) return undefined;
  const granted = parseStoredScopes(row.scopes);
  // A token that asked for no scope carries all of the client's; one that asked for some
  // carries those. Either way never more than the client has now.
  const scopes = token.scopes.length === 0 ? granted : granted.filter((scope) => token.scopes.includes(scope));
  return {
    actor: { apiClientId: row.id, clientId: row.client_id, name: row.name, companyId: row.company_id, scopes, credentialTag: token.credentialTag },
    used: Number(row.window_count),
    windowEndsAt: Number(row.window_start) + policy.windowMs,
  };
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
    .set((eb) => ({ secret_hash: eb.ref('secret_hash') }))
    .where('id', '=', actor.apiClientId)
    .where(liveApiClient(now))
    .returning('secret_hash')
    .executeTakeFirst();
  return row !== undefined && credentialTag(row.secret_hash) === actor.credentialTag;
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
