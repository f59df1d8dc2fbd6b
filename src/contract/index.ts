// The contract the server and the web app share: field rules, name rules and the
// password rule. Browser-safe: nothing here may import Node modules or server code.
export * from './fields.ts';
export * from './name-rules.ts';
export * from './password-rules.ts';
export type * from './types.ts';
// API clients: the scopes a console may offer, and the rules for a new client's fields.
export { API_SCOPES, PLATFORM_ONLY_API_SCOPES, type ApiScope } from './api-v1.ts';
export { companyApiClientBody, MAX_API_CLIENT_EXPIRY_DAYS } from './api-clients.ts';
// Groups: the form rules the console shares with the server.
export { GROUP_NAME_MAX, groupNameBody, MAX_GROUP_MODULES } from './groups.ts';
// The long lists: the most a page may ask for.
export { MAX_PAGE } from './common.ts';
// Download links name the user their page shows (a link cannot send the header).
export { SHOWN_USER_PARAM } from './common.ts';
// Single sign-on: the modes and the provider form's rules.
export { SSO_MODES, ssoProviderBody } from './sso.ts';
