// The OpenID Connect side of modules: the provider service and its account model.
export { accountIdOf, ACR_2FA, ACR_PHISHING_RESISTANT, acrOf, parseAccountId } from './account.ts';
export { refusedPage, errorPage, PAGE_CSP, SIGN_IN_EXPIRED_PAGE } from './pages.ts';
export { INTERACTION_TTL_S, interactionPath, loginPageFor } from './carried-interaction.ts';
export { handOver } from './resume-handover.ts';
export { providerRouteKey } from './route-key.ts';
export { createOidcService, type OidcService } from './service.ts';
export { revokeAccountTokens, revokeClientCredentials } from './revoke.ts';
export { MODULE_SCOPES, SUPPORTED_SCOPES } from './scopes.ts';
