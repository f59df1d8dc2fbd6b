import type { RequestFilter } from '../api';
import type { AuditFilters, AuditScope } from '../api/audit';

/**
 * Query keys, one per resource, grouped by audience so a change can invalidate a whole
 * group (every `company` list after a user changed, say). `/api/me` is `session`, apart
 * from `me` (My Settings), so invalidating one never refetches the other by prefix.
 */
export const keys = {
  session: ['session'] as const,
  launcher: ['launcher'] as const,

  me: {
    all: ['me'] as const,
    profile: ['me', 'profile'] as const,
    sessions: ['me', 'sessions'] as const,
    recoveryCodes: ['me', 'recovery-codes'] as const,
    securityKeys: ['me', 'security-keys'] as const,
  },

  company: {
    all: ['company'] as const,
    modules: ['company', 'modules'] as const,
    users: ['company', 'users'] as const,
    userSessions: (userId: string) => ['company', 'users', userId, 'sessions'] as const,
    approvals: ['company', 'approvals'] as const,
    policy: ['company', 'policy'] as const,
    compliance: ['company', 'compliance'] as const,
    apiClients: ['company', 'api-clients'] as const,
    groups: ['company', 'groups'] as const,
    sso: ['company', 'sso'] as const,
    ssoTest: (providerId: string, testId: string) => ['company', 'sso', 'test', providerId, testId] as const,
  },

  operator: {
    all: ['operator'] as const,
    requests: (status: RequestFilter, search: string) => ['operator', 'requests', status, search] as const,
    /** Every company (the pickers); its pages, searched, are under it, so invalidating it reaches both. */
    companies: ['operator', 'companies'] as const,
    companyPages: (search: string) => ['operator', 'companies', 'pages', search] as const,
    companyModules: (companyId: string) => ['operator', 'companies', companyId, 'modules'] as const,
    modules: ['operator', 'modules'] as const,
    mail: ['operator', 'mail'] as const,
    mailMessage: (id: string) => ['operator', 'mail', id] as const,
    compliance: (companyId: string) => ['operator', 'compliance', companyId] as const,
    apiClients: ['operator', 'api-clients'] as const,
  },

  audit: (scope: AuditScope, filters: AuditFilters) => [scope, 'audit', filters] as const,
};
