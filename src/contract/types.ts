// The API's answers as TypeScript types, inferred from the same schemas the server
// serializes with: the web app imports these, so its types cannot drift from the server.
import type { z } from 'zod';
import type * as apiClients from './api-clients.ts';
import type * as company from './company.ts';
import type * as groups from './groups.ts';
import type * as account from './my-account.ts';
import type * as operator from './operator.ts';
import type * as signIn from './sign-in.ts';
import type * as sso from './sso.ts';
import type * as securityKeys from './security-keys.ts';

type Out<T extends z.ZodType> = z.output<T>;
type Item<T> = T extends readonly (infer I)[] ? I : never;

export type LoginStep = Out<typeof signIn.loginSteps>;
export type LoginState = Out<typeof signIn.loginState> & { redirectTo?: string };
export type Enrollment = Out<typeof signIn.enrollmentStart>;
export type SignupLink = Out<typeof signIn.signupLink>;
export type ResetLink = Out<typeof signIn.passwordResetLink>;
export type AccountRequestInput = z.input<typeof signIn.accountRequestBody>;

export type Me = Out<typeof account.me>;
export type Profile = Out<typeof account.profile>;
export type MySession = Item<Out<typeof account.mySessions>['sessions']>;
export type UserSession = Item<Out<typeof company.userSessions>['sessions']>;
export type RecoveryCodeStatus = Out<typeof account.recoveryCodeStatus>;
export type EmailChangePending = Out<typeof account.emailChangePending>;
export type SecurityKey = Item<Out<typeof securityKeys.securityKeys>['keys']>;

export type CompanyUser = Out<typeof company.companyUser>;
export type BulkInviteReport = Out<typeof company.bulkInviteReport>;
export type BulkInviteRow = Item<BulkInviteReport['rows']>;
export type ResetOutcome = Out<typeof company.twoFactorResetOutcome>;
export type Approval = Item<Out<typeof company.pendingApprovals>['approvals']>;
export type PolicyAnswer = Out<typeof company.policyView>;
export type Policy = PolicyAnswer['policy'];
export type CompanyModule = Item<Out<typeof company.companyModuleSwitches>['modules']>;
export type Group = Out<typeof groups.group>;
export type AuditPage = Out<typeof company.auditPage>;
export type AuditEvent = Item<AuditPage['events']>;
export type CompanyCompliance = Out<typeof company.companyComplianceView>;
export type ComplianceUser = Item<CompanyCompliance['users']>;
export type ComplianceTotals = CompanyCompliance['totals'];
export type CompanyComplianceSummary = Item<Out<typeof company.complianceOverview>['companies']>;

export type AccountRequest = Item<Out<typeof operator.accountRequests>['requests']>;
export type RequestStatus = Out<typeof operator.requestStatuses>;
export type CompanySummary = Item<Out<typeof operator.companies>['companies']>;
export type AccountRequestPage = Out<typeof operator.requestPage>;
export type CompanyPage = Out<typeof operator.companyPage>;
export type MailSummary = Item<Out<typeof operator.mailList>['messages']>;
export type MailMessage = Out<typeof operator.mailMessage>;
export type RegisteredModule = Out<typeof operator.moduleView>;
export type GrantedModule = Item<Out<typeof operator.companyGrants>['modules']>;
export type LauncherModule = Item<Out<typeof operator.launcher>['modules']>;
export type ModuleInput = z.input<typeof operator.moduleBody>;

export type ApiClient = Out<typeof apiClients.apiClientView>;
export type ApiClientWithSecret = Out<typeof apiClients.apiClientWithSecret>;
export type ApiClientCreated = Out<typeof apiClients.apiClientCreated>;
export type ApiClientInput = z.input<typeof apiClients.operatorApiClientBody>;

export type SsoOverview = Out<typeof sso.ssoOverview>;
export type SsoProvider = Out<typeof sso.ssoProvider>;
export type SsoProviderInput = z.input<typeof sso.ssoProviderBody>;
export type SsoTestResult = Out<typeof sso.ssoTestResult>;
export type SsoMode = Out<typeof sso.ssoMode>;
