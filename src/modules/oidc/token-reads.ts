// One read for a token in use. Whenever oidc-provider finds a token on a token route
// (userinfo, introspection, the token endpoint's refresh and code exchange), it goes on to
// look up the token's grant, the provider session the token expires with, and (through
// our adapter and findAccount) the Gatehouse session the grant is bound to. The token's
// read brings all three along, left-joined, and they are remembered for the request
// (request-memo.ts), so each later lookup reads nothing: on PostgreSQL three round trips
// fewer per token request. A part that is not there comes back as nulls and is remembered
// as absent, which is what its own lookup would have found.
import { PostgresAdapter, sql } from 'kysely';
import { fixedQuery } from '../../shared/fixed-query.ts';
import { liveSessionOf, sessionColumns, type SessionRow } from '../../sessions/index.ts';
import type { Queryable } from '../../storage/index.ts';
import { seedForRequest } from './request-memo.ts';
import { seedSessionBehindGrant } from './session-binding.ts';

export type StoredRecord = { payload: string; consumed_at: number | null; expires_at: number | null };

/** The keys under which the parts are remembered for the request. */
export const grantKey = (id: string) => `grant-record:${id}`;
export const providerSessionKey = (uid: string) => `provider-session:${uid}`;

/** A token's record with its grant, its provider session and the Gatehouse session behind its grant. */
function tokenBundle(db: Queryable) {
  // The provider session's uid lives only in the token's JSON payload.
  const sessionUid =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? sql<string>`(${sql.ref('token.payload')}::json ->> 'sessionUid')`
      : sql<string>`json_extract(${sql.ref('token.payload')}, '$.sessionUid')`;
  return (
    db
      .selectFrom('oidc_records as token')
      .leftJoin('oidc_records as grant', (join) => join.on('grant.model', '=', 'Grant').onRef('grant.id', '=', 'token.grant_id'))
      .leftJoin('oidc_records as provider_session', (join) => join.on('provider_session.model', '=', 'Session').on('provider_session.uid', '=', sessionUid))
      // The session behind the grant, joined as sessions/index.ts joins it for a grant
      // alone: the binding names the company and user too, and the session must match both.
      .leftJoin('module_grant_sessions', 'module_grant_sessions.grant_id', 'token.grant_id')
      .leftJoin('sessions', (join) =>
        join
          .onRef('sessions.id_hash', '=', 'module_grant_sessions.session_hash')
          .onRef('sessions.company_id', '=', 'module_grant_sessions.company_id')
          .onRef('sessions.user_id', '=', 'module_grant_sessions.user_id'),
      )
      .leftJoin('users', (join) => join.onRef('users.id', '=', 'sessions.user_id').onRef('users.company_id', '=', 'sessions.company_id'))
      .leftJoin('companies', 'companies.id', 'sessions.company_id')
      .select(['token.model', 'token.payload', 'token.consumed_at', 'token.expires_at', 'token.grant_id'])
      .select(['grant.payload as grant_payload', 'grant.consumed_at as grant_consumed_at', 'grant.expires_at as grant_expires_at'])
      .select(['provider_session.payload as session_payload', 'provider_session.consumed_at as session_consumed_at', 'provider_session.expires_at as session_expires_at'])
      .select(sessionUid.as('session_uid'))
      .select(sessionColumns)
  );
}

export const tokenById = fixedQuery((db, model: string, id: string) => tokenBundle(db).where('token.model', '=', model).where('token.id', '=', id));

/** Introspection without a type hint asks for the token as each of these models: one query answers all. */
export const INTROSPECTED = ['AccessToken', 'ClientCredentials', 'RefreshToken'];
export const introspectedById = fixedQuery((db, id: string) => tokenBundle(db).where('token.model', 'in', INTROSPECTED).where('token.id', '=', id));

type TokenRow = Awaited<ReturnType<typeof tokenById>>[number];

const record = (payload: string | null, consumedAt: number | null, expiresAt: number | null): StoredRecord[] =>
  payload === null ? [] : [{ payload, consumed_at: consumedAt, expires_at: expiresAt }];

/** Remembers, for the rest of the request, what the token's row brought along. */
export function rememberTokenParts(row: TokenRow | undefined, now: number): void {
  if (!row) return;
  if (row.session_uid) seedForRequest(providerSessionKey(row.session_uid), record(row.session_payload, row.session_consumed_at, row.session_expires_at));
  if (!row.grant_id) return;
  seedForRequest(grantKey(row.grant_id), record(row.grant_payload, row.grant_consumed_at, row.grant_expires_at));
  // No binding, or its session is gone: the left joins gave nulls, and no session is live.
  seedSessionBehindGrant(row.grant_id, row.sessionHash === null ? undefined : liveSessionOf(row as SessionRow, now));
}
