// Modules as OAuth clients. The provider sees the stored keyed hash as the client's
// "secret"; Gatehouse's compareClientSecret (see provider.ts) hashes what the client
// presents before the constant-time comparison, so the plain secret is never stored.
import type { Db } from '../../storage/index.ts';
import { findModuleByClientId } from '../store.ts';

export async function clientMetadataFor(db: Db, clientId: string) {
  const module = await findModuleByClientId(db, clientId);
  if (!module) return undefined;
  const confidential = module.client_type === 'confidential';
  return {
    client_id: module.client_id,
    client_name: module.name,
    ...(confidential && module.secret_hash ? { client_secret: module.secret_hash } : {}),
    redirect_uris: JSON.parse(module.redirect_uris) as string[],
    post_logout_redirect_uris: JSON.parse(module.post_logout_redirect_uris) as string[],
    grant_types: confidential ? ['authorization_code', 'refresh_token', 'client_credentials'] : ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
    id_token_signed_response_alg: module.id_token_alg,
    ...(module.backchannel_logout_uri
      ? { backchannel_logout_uri: module.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
  };
}
