// Modules as OAuth clients. The provider sees the stored keyed hash as the client's
// "secret"; Gatehouse's compareClientSecret (see provider.ts) hashes what the client
// presents before the constant-time comparison, so the plain secret is never stored.
// A client id that is no module's may be an API client's (client credentials only), on the
// routes an API client uses and nowhere else (apiClientWhereServed).
import { apiClientMetadata } from '../../api-clients/index.ts';
import type { Selectable } from 'kysely';
import type { Db, Queryable } from '../../storage/index.ts';
import type { ModulesTable } from '../../storage/schema.ts';
import { findModuleByClientId } from '../store.ts';
import { currentRoute } from './request-memo.ts';
import { MODULE_SCOPES } from './scopes.ts';

/** The provider's routes an API client has business on: getting, checking and revoking its tokens. */
const API_CLIENT_ROUTES: ReadonlySet<string> = new Set(['token', 'introspection', 'revocation']);

/**
 * An API client as the provider sees it, on its own routes only. Elsewhere its id is as
 * unknown as a made-up one: an API client is no module, and any company's Master names
 * one freely, so on a browser's route (the logout pages above all, which show the client's
 * name on Gatehouse's origin) it would be that Master's text before anyone's eyes. Outside
 * a provider request (Gatehouse's own code) it is found as before.
 */
export function apiClientWhereServed(db: Queryable, clientId: string, now: number) {
  const route = currentRoute();
  return route === undefined || API_CLIENT_ROUTES.has(route) ? apiClientMetadata(db, clientId, now) : Promise.resolve(undefined);
}

/** What the provider needs of a module (a token's read brings these columns along: token-reads.ts). */
export type ClientModule = Pick<
  Selectable<ModulesTable>,
  'client_id' | 'name' | 'client_type' | 'secret_hash' | 'redirect_uris' | 'post_logout_redirect_uris' | 'id_token_alg' | 'backchannel_logout_uri'
>;

export async function clientMetadataFor(db: Db, clientId: string, now: number) {
  const module = await findModuleByClientId(db, clientId);
  return module ? clientMetadataOf(module) : apiClientWhereServed(db, clientId, now);
}

/** A module as the provider sees it: an OAuth client of the module's type. */
export function clientMetadataOf(module: ClientModule) {
  const confidential = module.client_type === 'confidential';
  return {
    client_id: module.client_id,
    client_name: module.name,
    ...(confidential && module.secret_hash ? { client_secret: module.secret_hash } : {}),
    redirect_uris: JSON.parse(module.redirect_uris) as string[],
    post_logout_redirect_uris: JSON.parse(module.post_logout_redirect_uris) as string[],
    grant_types: confidential ? ['authorization_code', 'refresh_token', 'client_credentials'] : ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // Sign-in scopes only: the provider refuses a module any API scope it asks for.
    scope: MODULE_SCOPES.join(' '),
    token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
    id_token_signed_response_alg: module.id_token_alg,
    ...(module.backchannel_logout_uri
      ? { backchannel_logout_uri: module.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
  };
}
