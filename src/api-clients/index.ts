// The API clients door: machine credentials for /api/v1 (a company's, or the platform's),
// their scopes, and their use by bearer tokens from Gatehouse's own OpenID provider.
export { API_SCOPES, checkScopes, isApiScope, PLATFORM_ONLY_SCOPES, scopesBeyond, type ApiScope } from './scopes.ts';
export {
  CLIENT_ID_PREFIX,
  createApiClient,
  credentialTag,
  deleteApiClient,
  endCompanyClientTokens,
  endSecretHolds,
  findLiveApiClient,
  listApiClients,
  MAX_EXPIRY_DAYS,
  API_RATE_WINDOW_MS,
  MAX_LIVE_CLIENTS_PER_COMPANY,
  retagCredentials,
  rotateApiClientSecret,
  standingApiClient,
  type ApiClientInput,
  type ApiClientView,
  type ChangedBy,
  type Reach,
} from './store.ts';
export { asClient, clientStands, reachCompany, stillHoldsSecret, useApiClient, type ApiActor, type ApiClientUse, type RatePolicy } from './usage.ts';
export { apiClientMetadata } from './oidc-client.ts';
export { createApiClientWithProof, rotateApiClientSecretWithProof } from './proved.ts';
export { IDEMPOTENCY_WINDOW_MS, runOnce, type KeyOwner, type StoredAnswer } from './idempotency.ts';
