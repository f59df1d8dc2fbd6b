// The users door: user rows (always scoped by company), Sign Up links, and sign-up.
export { createUser, findRootMaster, findUserByUsername, getUser, idsOfUsersNamed, type Role, type UserRow } from './store.ts';
export { issueSignupLink } from './signup-links.ts';
export { completeSignup, describeSignupLink } from './signup.ts';
export { endSessionsAccess, endUnfinishedLogins, endUserAccess, logOut, type AccessEndReason } from './access.ts';
export { changePassword, getProfile, resetOwnTwoFactor, stillProved, updateProfile } from './self-service.ts';
export { cancelEmailChange, changeUserEmail, confirmEmailChange, requestEmailChange } from './email-change.ts';
export { listMySessions, revokeMySession, SESSION_HANDLE_PATTERN, signOutEverywhere } from './my-sessions.ts';
export { completePasswordReset, describePasswordReset, requestPasswordReset } from './password-reset.ts';
export { sendCompanyNames } from './forgot-company.ts';
export { auditActor, describeCompanyUser, listCompanyUsers, listUsersOfCompany, type Actor, type ClientActor, type UserActor, type ListStatus, type UserPage, type UserSummary } from './admin.ts';
export { inviteUser, resendInvite, type InvitableRole, type InviteInput } from './invitations.ts';
export { invitationVolume } from './invitation-quota.ts';
export { bulkInvite, MAX_BULK_BYTES, MAX_BULK_ROWS, readInviteCsv, type BulkReportRow, type BulkRow } from './bulk-invite.ts';
export { deactivateUser, deleteUser, reactivateUser, unlockUser } from './lifecycle.ts';
export { changeRole, transferRootMaster } from './roles.ts';
export { endAllUserSessions, endUserSession, listUserSessions } from './user-sessions.ts';
export { decideApproval, listPendingApprovals, resetTwoFactor, type ResetOutcome } from './two-factor-reset.ts';
export { assertBreakGlassKept, breakGlassReady, lockCompanyForBreakGlass } from './break-glass.ts';
