// The companies door: account requests, approval and welcome, the platform company,
// and each company's security policy (password rule, lockout, sessions, IP allowlist).
export { findCompanyByName, getCompany, getPlatformCompany, isPlatformCompany, type CompanyRow } from './store.ts';
export { accountRequestCap, countAccountRequests, listAccountRequests, submitAccountRequest, urgencyOf, type AccountRequestInput, type RequestPage, type Urgency } from './requests.ts';
export { approveAccountRequest, defaultUsername, enterAccountRequest, rejectAccountRequest, resendWelcome, type Decider } from './onboarding.ts';
export { createOperator, ensurePlatformCompany, firstOperatorSetup, FIRST_OPERATOR_USERNAME, operatorSignedUp } from './platform.ts';
export { countCompanies, directoryEntry, listCompanies, type CompanyPage } from './directory.ts';
export {
  DEFAULT_POLICY,
  getCompanyPolicy,
  policyFromRow,
  POLICY_COLUMNS,
  keyRequired,
  PHISHING_RESISTANT,
  PASSWORD_CLASSES,
  POLICY_LIMITS,
  updateCompanyPolicy,
  type CompanyPolicy,
  type PasswordClass,
  type PhishingResistant,
} from './policy.ts';
export { ipAllowed, MAX_ALLOWLIST_ENTRIES, parseRange } from './ip-ranges.ts';
export { companyCompliance, complianceSummary, type ComplianceTotals, type ComplianceUser, type PendingState } from './compliance.ts';
export { setCompanySuspended } from './suspension.ts';
