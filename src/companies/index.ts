// The companies door: account requests, approval and welcome, the platform company.
export { findCompanyByName, getCompany, getPlatformCompany, type CompanyRow } from './store.ts';
export { listAccountRequests, submitAccountRequest, urgencyOf, type AccountRequestInput, type Urgency } from './requests.ts';
export { approveAccountRequest, defaultUsername, rejectAccountRequest, resendWelcome } from './onboarding.ts';
export { createOperator, ensurePlatformCompany, firstOperatorSetup, FIRST_OPERATOR_USERNAME } from './platform.ts';
export { listCompanies } from './directory.ts';
export { DEFAULT_POLICY, getCompanyPolicy, type CompanyPolicy, type PasswordClass } from './policy.ts';
