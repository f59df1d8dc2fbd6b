// An API client as the provider sees it: a confidential client that may only use the
// client-credentials grant (no redirect URIs, no authorization endpoint), for exactly its
// scopes. As for modules, its "secret" is the stored keyed hash; the provider's
// compareClientSecret hashes what the client presents before comparing.
import type { Queryable } from '../storage/index.ts';
import { findLiveApiClient } from './store.ts';
import { parseStoredScopes } from './scopes.ts';

export async function apiClientMetadata(db: Queryable, clientId: string, now: number) {
  const row = await findLiveApiClient(db, clientId, now);
  if (!row) return undefined;
  return {
    client_id: row.client_id,
    client_name: row.name,
    client_secret: row.secret_hash,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: parseStoredScopes(row.scopes).join(' '),
    // Both ways of sending the secret work with this method (RFC 6749 §2.3.1 asks servers
    // to support the Basic header; oidc-provider accepts the body form for it too).
    token_endpoint_auth_method: 'client_secret_basic',
  };
}
