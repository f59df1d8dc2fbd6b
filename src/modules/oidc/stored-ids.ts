// The id a provider record is stored under. For its opaque tokens oidc-provider's record id
// IS the value it hands out: the access token, the refresh token, the code, a client
// credentials token, a pushed request's request_uri, and the provider session's cookie. A
// backup, a pg_dump or any read of oidc_records would hand those out as they are (a row id
// sent as a Bearer token reached /api/v1). So such a record is stored under the SHA-256 of
// its id, as Gatehouse stores its own session and link tokens, and its payload loses the
// `jti` that repeats the id; the reader knows the id it was asked for and puts it back
// (token-reads.ts revivedPayload). Every reader and writer of oidc_records.id goes
// through storedId; the adapter (adapter.ts) turns the provider's ids into stored ones,
// and the write batch (write-batch.ts) holds rows as stored.
//
// Kept as they are:
// - Grant: its id is never handed out, and grant_id columns (oidc_records,
//   module_grant_sessions) name it as it is.
// - Interaction: its uid is in every URL of the sign-in (the resume's path, the login
//   page's return address, logs), so it is no secret; the provider's cookies naming it are
//   signed, and a resume signs in whoever the browser's own Gatehouse session is
//   (sign-in-gate.ts). Its payload may name the provider session's cookie value
//   (`session.cookie`, which oidc-provider writes and never reads): that is dropped.
// - ReplayDetection: its id is already a SHA-256 (replay-detection.ts).
// A model added to BEARER_MODELS needs a migration that rewrites its stored rows, as
// 0019_hashed_provider_ids.ts did for these.
import { hashToken } from '../../crypto/index.ts';

/** The models whose id is a value oidc-provider hands to a client or a browser. */
const BEARER_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'Session',
  'PushedAuthorizationRequest',
  // Not enabled in Gatehouse's configuration, hashed should they ever be.
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
  'RegistrationAccessToken',
  'InitialAccessToken',
]);

/** The oidc_records.id of the provider's record `id` of `model`. */
export function storedId(model: string, id: string): string {
  return BEARER_MODELS.has(model) ? hashToken(id) : id;
}

/** A record's payload as it is stored: no field that gives away a bearer value. */
export function storedPayload(model: string, payload: Record<string, unknown>): Record<string, unknown> {
  if (BEARER_MODELS.has(model)) {
    const { jti: _theId, ...rest } = payload;
    return rest;
  }
  const session = payload.session as Record<string, unknown> | undefined;
  if (model === 'Interaction' && session && typeof session === 'object' && 'cookie' in session) {
    const { cookie: _providerSessionId, ...rest } = session;
    return { ...payload, session: rest };
  }
  return payload;
}
