// A company's security policy, set by its Masters (defaults: the seed's password rule,
// 5 attempts then a 15-minute lock, 12 h sessions with 30 min idle, no IP restriction).
import type { Queryable } from '../storage/index.ts';

export type PasswordClass = 'lower' | 'upper' | 'digit' | 'symbol';

export interface CompanyPolicy {
  passwordMinLength: number;
  passwordClasses: PasswordClass[];
  lockoutThreshold: number;
  lockoutMinutes: number;
  sessionAbsoluteMinutes: number;
  sessionIdleMinutes: number;
  ipAllowlist: string[];
  twoPerson2faReset: boolean;
}

export const DEFAULT_POLICY: CompanyPolicy = Object.freeze({
  passwordMinLength: 8,
  passwordClasses: ['lower', 'upper', 'digit', 'symbol'] as PasswordClass[],
  lockoutThreshold: 5,
  lockoutMinutes: 15,
  sessionAbsoluteMinutes: 720,
  sessionIdleMinutes: 30,
  ipAllowlist: [] as string[],
  twoPerson2faReset: false,
});

/** The policy of a company; the defaults when the company is unknown. */
export async function getCompanyPolicy(db: Queryable, companyId: string): Promise<CompanyPolicy> {
  const row = await db
    .selectFrom('companies')
    .select([
      'password_min_length',
      'password_classes',
      'lockout_threshold',
      'lockout_minutes',
      'session_absolute_minutes',
      'session_idle_minutes',
      'ip_allowlist',
      'two_person_2fa_reset',
    ])
    .where('id', '=', companyId)
    .executeTakeFirst();
  if (!row) return DEFAULT_POLICY;
  return {
    passwordMinLength: row.password_min_length,
    passwordClasses: JSON.parse(row.password_classes) as PasswordClass[],
    lockoutThreshold: row.lockout_threshold,
    lockoutMinutes: row.lockout_minutes,
    sessionAbsoluteMinutes: row.session_absolute_minutes,
    sessionIdleMinutes: row.session_idle_minutes,
    ipAllowlist: JSON.parse(row.ip_allowlist) as string[],
    twoPerson2faReset: row.two_person_2fa_reset === 1,
  };
}
