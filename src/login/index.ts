// The login door: identifier-first steps, lockout, forced 2FA enrollment, recovery codes,
// and the proof before sensitive changes (password and code or key, reauth.ts).
export { checkPassword, currentStep, identify, MAX_TOTP_FAILURES, type LoginStep } from './steps.ts';
export { abandonFlow, loginIdOfToken, requireShownLogin } from './flow-cookie.ts';
export { loginIdInToken } from './flows.ts';
export { checkRecoveryCode, checkTotp } from './second-factor.ts';
export { finishEnrollment, startEnrollment } from './enrollment.ts';
export { proveEnrollmentCode, sendEnrollmentCode } from './mail-proof.ts';
export { DEFAULT_LOCKOUT, LOCK_MS, lockoutRuleFor, MAX_FAILURES, type LockoutRule } from './lockout.ts';
export { recoveryCodesLeft, regenerateRecoveryCodes } from './recovery.ts';
export { passwordClosedFor } from './login-subject.ts';
export { proveSession, reauthKeyOptions, reauthMethods, verifyCurrentPassword, withProof, type Proof } from './reauth.ts';
export { acceptCode, appCode, type CodeOutcome } from './code-attempt.ts';
export {
  activeProvider,
  auditProviderLogin,
  choosePassword,
  continueAfterProvider,
  holdFlowForProvider,
  endFederatedLogins,
  finishTrustedLogin,
  providerMfaMayStandIn,
  flowAwaitingProvider,
} from './federated.ts';
export { checkSecondFactorKey, finishKeyEnrollment, finishPasskeyLogin, keyChallengeForSecondFactor, startKeyEnrollment, startPasskeyLogin } from './security-key.ts';
