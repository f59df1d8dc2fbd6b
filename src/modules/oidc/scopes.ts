// The scopes the provider knows. A module may ask for the sign-in scopes only (its
// registration lists exactly MODULE_SCOPES, clients.ts); the API scopes are known to the
// provider too, so a client gets one only when its registration lists it, and a module
// asking for an API scope is refused (invalid_scope) rather than handed an unknown one.
import { API_SCOPES } from '../../api-clients/index.ts';

export const MODULE_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'company'];
export const SUPPORTED_SCOPES = [...MODULE_SCOPES, ...API_SCOPES];
