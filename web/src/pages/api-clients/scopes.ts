import { API_SCOPES, PLATFORM_ONLY_API_SCOPES, type ApiScope } from '@contract';

/** What each scope lets a client do, in the words of docs/API.md's scope table. */
export const SCOPE_HINTS: Record<ApiScope, string> = {
  'users:read': "List the company's users and groups.",
  'users:write': "Invite users, change roles, deactivate, delete, unlock, end a user's sessions, manage groups.",
  'mfa:reset': "Reset a user's 2FA (with the two-person rule, a Master who does not hold this client's secret approves).",
  'policy:read': "Read the company's security policy.",
  'policy:write': "Change the company's security policy.",
  'audit:read': 'Read the audit trail and the MFA compliance report.',
  'modules:read': "List modules and the company's grants.",
  'modules:switch': "Switch the company's granted modules on or off.",
  'modules:write': 'Grant modules to companies and revoke them.',
  'companies:read': 'List every company.',
  'companies:write': 'Suspend companies, resend welcome mail.',
  'requests:read': 'List company account requests.',
  'requests:write': 'Approve and reject company account requests.',
};

/** The scopes a client may be given: a company's client never reaches across companies. */
export function grantableScopes(forCompany: boolean): ApiScope[] {
  return API_SCOPES.filter((scope) => !forCompany || !PLATFORM_ONLY_API_SCOPES.includes(scope));
}
