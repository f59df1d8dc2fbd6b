// A token request's client, read with the token the request names. oidc-provider
// authenticates the client, then reads the token: two statements, on PostgreSQL two round
// trips. On the introspection route (the token asked about) and the token route (the code
// of a code exchange, the refresh token of a refresh) both are read at once and the token's
// rows kept for the request, where the provider reaches them only once the client has
// passed (adapter.ts introspectedToken, storedRecord). Nothing outlives the request but a
// client credentials request's module (remembered-modules.ts), whose token is stored only
// under the secret stored now: a rotated or deleted secret stops at once on every node.
import { Provider } from 'oidc-provider';
import type { Db } from '../../storage/index.ts';
import { stillRegisteredRedirect } from '../redirect-uris.ts';
import { apiClientWhereServed, clientMetadataFor, clientMetadataOf } from './clients.ts';
import { currentRoute, seedForRequest } from './request-memo.ts';
import { isClientCredentialsRequest, type RememberedModules } from './remembered-modules.ts';
import { callerWithIntrospected, callerWithToken, introspectedKey, splitCallerRows, tokenKey } from './token-reads.ts';

/** The token a provider request names: introspection's (model undefined: any token model), or the code or refresh token a token request redeems. */
function tokenNamedByRequest(): { model: string | undefined; id: string } | undefined {
  const params = (Provider.ctx as { oidc?: { params?: Record<string, unknown> } } | undefined)?.oidc?.params;
  const route = currentRoute();
  const named = (model: string | undefined, id: unknown) => (typeof id === 'string' && id.length > 0 ? { model, id } : undefined);
  if (route === 'introspection') return named(undefined, params?.token);
  if (route !== 'token') return undefined;
  if (params?.grant_type === 'authorization_code') return named('AuthorizationCode', params.code);
  if (params?.grant_type === 'refresh_token') return named('RefreshToken', params.refresh_token);
  return undefined;
}

/** Whether a stored code's payload names a redirect URI still among the module's (`registered`, its stored list). */
function codeAtRegisteredUri(payload: unknown, registered: string): boolean {
  if (typeof payload !== 'string') return false;
  return stillRegisteredRedirect(registered, (JSON.parse(payload) as { redirectUri?: unknown }).redirectUri);
}

/** A client as the provider sees it, with the token its request names read along where there is one. */
export async function clientWithNamedToken(db: Db, clientId: string, now: number, remembered?: RememberedModules) {
  const named = tokenNamedByRequest();
  if (!named) return remembered && isClientCredentialsRequest() ? remembered.clientFor(clientId, now) : clientMetadataFor(db, clientId, now);
  const { model, id } = named;
  const { caller, tokens } = splitCallerRows(model === undefined ? await callerWithIntrospected(db, clientId, id) : await callerWithToken(db, clientId, model, id));
  // A code given at a redirect URI the module has since dropped is found by no one: the
  // provider answers invalid_grant, as for a code that never was.
  const redeemable = model === 'AuthorizationCode' && caller ? tokens.filter((row) => codeAtRegisteredUri(row.payload, caller.redirect_uris)) : tokens;
  seedForRequest(model === undefined ? introspectedKey(id) : tokenKey(model, id), redeemable);
  // No module has that client id: an API client's (client credentials only), or none.
  return caller ? clientMetadataOf(caller) : apiClientWhereServed(db, clientId, now);
}
