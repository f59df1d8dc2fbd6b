// One read for a token in use. Whenever oidc-provider finds a token on a token route
// (userinfo, introspection, the token endpoint's refresh and code exchange), it goes on to
// look up the token's grant, the provider session the token expires with, and (through
// our adapter and findAccount) the Gatehouse session the grant is bound to. The token's
// read brings all three along, left-joined, and they are remembered for the request
// (request-memo.ts), so each later lookup reads nothing: on PostgreSQL three round trips
// fewer per token request. A part that is not there comes back as nulls and is remembered
// as absent, which is what its own lookup would have found.
//
// The token's client (a module) and, for a user's token, the account with its access to
// that module come along too: userinfo then reads once in all, where it read the client
// and the account after the token. They are remembered only when found; otherwise their
// own lookups run as before (an API client is not a module; a token whose session is gone
// is refused at its grant before any account is asked for).
import { PostgresAdapter, sql } from 'kysely';
import { fixedQuery } from '../../shared/fixed-query.ts';
import { liveSessionOf, sessionColumns, type SessionRow } from '../../sessions/index.ts';
import type { Queryable } from '../../storage/index.ts';
import { seedForRequest } from './request-memo.ts';
import { seedSessionBehindGrant } from './session-binding.ts';
import { moduleAccessColumns } from '../access.ts';
import { clientMetadataOf, type ClientModule } from './clients.ts';
import { storedId } from './stored-ids.ts';

export type StoredRecord = { payload: string; consumed_at: number | null; expires_at: number | null };

/** The keys under which the parts are remembered for the request. */
export const grantKey = (id: string) => `grant-record:${id}`;
export const providerSessionKey = (uid: string) => `provider-session:${uid}`;
export const clientKey = (clientId: string) => `client:${clientId}`;
export const introspectedKey = (tokenId: string) => `introspected-token:${tokenId}`;
export const tokenKey = (model: string, tokenId: string) => `token:${model}:${tokenId}`;
export const accountKey = (companyId: string, userId: string, clientId: string) => `account:${companyId}.${userId}:${clientId}`;

/** A field of the JSON payload of a record read as `token`, in the dialect's own words. */
export function payloadField(db: Queryable, field: 'sessionUid' | 'clientId') {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? sql<string>`(${sql.ref('token.payload')}::json ->> ${sql.lit(field)})`
    : sql<string>`json_extract(${sql.ref('token.payload')}, ${sql.lit(`$.${field}`)})`;
}

/** A token's record with its grant, its provider session and the Gatehouse session behind its grant. */
function tokenBundle(db: Queryable) {
  // The provider session's uid lives only in the token's JSON payload.
  const sessionUid = payloadField(db, 'sessionUid');
  return db
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
    .select(sessionColumns);
}

/**
 * tokenBundle with the token's module (the client, by the id in its payload) and the
 * account's access to it: what userinfo, a refresh and a code exchange go on to ask for.
 * (Introspection asks for neither: its client is authenticated before the token is read.)
 */
function tokenBundleForUse(db: Queryable) {
  const clientId = payloadField(db, 'clientId');
  return (
    tokenBundle(db)
      .leftJoin('modules as client', (join) => join.on('client.client_id', '=', clientId))
      .select([
        'client.client_id as client_id',
        'client.name as client_name',
        'client.client_type as client_type',
        'client.secret_hash as client_secret_hash',
        'client.redirect_uris as client_redirect_uris',
        'client.post_logout_redirect_uris as client_post_logout_redirect_uris',
        'client.id_token_alg as client_id_token_alg',
        'client.backchannel_logout_uri as client_backchannel_logout_uri',
      ])
      // The account's access to the token's module, for the session's user (account.ts).
      .select(moduleAccessColumns(sql.ref<string>('sessions.company_id'), sql.ref<string>('sessions.user_id'), clientId))
  );
}

// The reads below take the id the provider knows a record by and look it up under the id
// it is stored under (stored-ids.ts).

const tokenByStoredId = fixedQuery((db, model: string, rowId: string) => tokenBundleForUse(db).where('token.model', '=', model).where('token.id', '=', rowId));
export const tokenById = (db: Queryable, model: string, id: string) => tokenByStoredId(db, model, storedId(model, id));

/** Introspection without a type hint asks for the token as each of these models: one query answers all. */
export const INTROSPECTED = ['AccessToken', 'ClientCredentials', 'RefreshToken'];
/** A token asked about without its model: every model introspected is stored under the same hash of its id, so one stored id serves all. */
const introspectedStoredId = (id: string) => storedId('AccessToken', id);
if (INTROSPECTED.some((model) => storedId(model, 'probe') !== introspectedStoredId('probe'))) throw new Error('introspected models must be stored alike');

const introspectedByStoredId = fixedQuery((db, rowId: string) => tokenBundle(db).where('token.model', 'in', INTROSPECTED).where('token.id', '=', rowId));
export const introspectedById = (db: Queryable, id: string) => introspectedByStoredId(db, introspectedStoredId(id));

/** The calling module (by the client id it authenticates with), one row whether or not there is one. */
function callerModule(db: Queryable, clientId: string) {
  return db
    .selectFrom(sql<{ one: number }>`(select 1 as one)`.as('probe'))
    .leftJoin('modules as caller', (join) => join.on('caller.client_id', '=', clientId))
    .select([
      'caller.client_id as caller_id',
      'caller.name as caller_name',
      'caller.client_type as caller_type',
      'caller.secret_hash as caller_secret_hash',
      'caller.redirect_uris as caller_redirect_uris',
      'caller.post_logout_redirect_uris as caller_post_logout_redirect_uris',
      'caller.id_token_alg as caller_id_token_alg',
      'caller.backchannel_logout_uri as caller_backchannel_logout_uri',
    ]);
}

// The provider authenticates a token request's client before it reads the token the
// request names; both are read at once, and the token's rows are used only once the
// client has passed (the adapter keeps them for the request).

const callerWithIntrospectedRow = fixedQuery((db, clientId: string, rowId: string) =>
  callerModule(db, clientId)
    .leftJoin(tokenBundle(db).where('token.model', 'in', INTROSPECTED).where('token.id', '=', rowId).as('named'), (join) => join.onTrue())
    .selectAll('named'),
);
/** Introspection's one read: the calling module and the token asked about, as introspectedById reads it. */
export const callerWithIntrospected = (db: Queryable, clientId: string, tokenId: string) => callerWithIntrospectedRow(db, clientId, introspectedStoredId(tokenId));

const callerWithTokenRow = fixedQuery((db, clientId: string, model: string, rowId: string) =>
  callerModule(db, clientId)
    .leftJoin(tokenBundleForUse(db).where('token.model', '=', model).where('token.id', '=', rowId).as('named'), (join) => join.onTrue())
    .selectAll('named'),
);
/** A code exchange's or refresh's one read: the calling module and the code or refresh token, as tokenById reads it. */
export const callerWithToken = (db: Queryable, clientId: string, model: string, tokenId: string) => callerWithTokenRow(db, clientId, model, storedId(model, tokenId));

/**
 * A stored record's payload as the provider reads it: none once expired, and a spent one
 * marked `consumed` (in seconds, as oidc-provider counts). `id`, the provider's id of a
 * record read by it, goes back in as `jti`: a bearer record is stored without it
 * (stored-ids.ts). A record found otherwise (a provider session by its uid) has no id the
 * reader could know, and the provider reads such a one only for who it is and its grants.
 */
export function revivedPayload(row: { payload: string; expires_at?: number | null; consumed_at?: number | null }, now: number, id?: string): Record<string, unknown> | undefined {
  const { expires_at: expiresAt = null, consumed_at: consumedAt = null } = row;
  if (expiresAt !== null && expiresAt <= now) return undefined;
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  if (id !== undefined) payload.jti = id;
  if (consumedAt !== null) payload.consumed = Math.floor(consumedAt / 1000);
  return payload;
}

const recordByStoredId = fixedQuery((db, model: string, rowId: string) =>
  db.selectFrom('oidc_records').select(['payload', 'consumed_at', 'expires_at']).where('model', '=', model).where('id', '=', rowId),
);
/** A stored record by model and id (compiled once). */
export const recordById = (db: Queryable, model: string, id: string) => recordByStoredId(db, model, storedId(model, id));

const callerWithInteractionRow = fixedQuery((db, clientId: string, rowId: string) =>
  callerModule(db, clientId)
    .leftJoin(
      db.selectFrom('oidc_records').select(['model', 'payload', 'consumed_at', 'expires_at']).where('model', '=', 'Interaction').where('id', '=', rowId).as('mark'),
      (join) => join.onTrue(),
    )
    .selectAll('mark'),
);
/**
 * The resume's one read of the sign-in's record (its used mark) with the module it is for
 * (by the client id in the sealed interaction): the gate decides with the module, and the
 * provider asks for the client right after the interaction (sign-in-record.ts).
 */
export const callerWithInteractionMark = (db: Queryable, clientId: string, uid: string) => callerWithInteractionRow(db, clientId, storedId('Interaction', uid));

type CallerRow = Awaited<ReturnType<ReturnType<typeof callerModule>['execute']>>[number];

/** The calling module of those rows (undefined: no module has that client id), and the token's rows. */
export function splitCallerRows<Row extends CallerRow & { model: string | null }>(rows: Row[]) {
  const [first] = rows;
  const caller = first?.caller_id === undefined || first.caller_id === null ? undefined : moduleOfColumns(first, 'caller_');
  // The token's rows: where the left join found one (a token always has a model).
  const tokens = rows.filter((row) => row.model !== null);
  return { caller, tokens };
}

type TokenRow = Awaited<ReturnType<typeof introspectedById>>[number] & Partial<Omit<Awaited<ReturnType<typeof tokenById>>[number], keyof Awaited<ReturnType<typeof introspectedById>>[number]>>;

const record = (payload: string | null, consumedAt: number | null, expiresAt: number | null): StoredRecord[] =>
  payload === null ? [] : [{ payload, consumed_at: consumedAt, expires_at: expiresAt }];

/** Remembers, for the rest of the request, what the token's row brought along. */
export function rememberTokenParts(row: TokenRow | undefined, now: number): void {
  if (!row) return;
  if (row.session_uid) seedForRequest(providerSessionKey(row.session_uid), record(row.session_payload, row.session_consumed_at, row.session_expires_at));
  if (row.client_id) seedForRequest(clientKey(row.client_id), clientMetadataOf(clientModuleOf(row)));
  if (!row.grant_id) return;
  seedForRequest(grantKey(row.grant_id), record(row.grant_payload, row.grant_consumed_at, row.grant_expires_at));
  // No binding, or its session is gone: the left joins gave nulls, and no session is live.
  seedSessionBehindGrant(row.grant_id, row.sessionHash === null ? undefined : liveSessionOf(row as SessionRow, now));
  if (row.sessionHash === null || !row.client_id || row.companyId === null || row.userId === null) return;
  // The account row as findAccount reads it (account.ts), for the session's user and this module.
  seedForRequest(accountKey(row.companyId, row.userId, row.client_id), [
    {
      username: row.username,
      displayName: row.displayName,
      email: row.email,
      emailVerifiedAt: row.emailVerifiedAt,
      status: row.userStatus,
      companyId: row.companyId,
      companyName: row.companyName,
      companyStatus: row.companyStatus,
      moduleEnabled: row.moduleEnabled,
      moduleRestricted: row.moduleRestricted,
      userInGroup: row.userInGroup,
    },
  ]);
}

function clientModuleOf(row: TokenRow): ClientModule {
  return moduleOfColumns(row, 'client_');
}

/** A module's columns as a read selected them under `prefix` (the token's module: client_, the calling one: caller_). */
function moduleOfColumns(row: object, prefix: 'client_' | 'caller_'): ClientModule {
  const column = (name: string) => (row as Record<string, unknown>)[`${prefix}${name}`];
  return {
    client_id: column('id') as string,
    name: column('name') as string,
    client_type: column('type') as ClientModule['client_type'],
    secret_hash: (column('secret_hash') as string | null | undefined) ?? null,
    redirect_uris: column('redirect_uris') as string,
    post_logout_redirect_uris: column('post_logout_redirect_uris') as string,
    id_token_alg: column('id_token_alg') as ClientModule['id_token_alg'],
    backchannel_logout_uri: (column('backchannel_logout_uri') as string | null | undefined) ?? null,
  };
}
