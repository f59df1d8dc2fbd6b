// The credentials door: password rules, TOTP and recovery codes.
export {
  checkNewPassword,
  checkPasswordForCompany,
  DEFAULT_PASSWORD_RULE,
  MIN_PASSWORD_LENGTH,
  PASSWORD_RULES,
  passwordRuleFor,
  passwordRules,
  samePassword,
  type PasswordRule,
  type PasswordVerdict,
} from './password-policy.ts';
export { estimatorLoad } from './estimator/index.ts';
export {
  deleteRecoveryCodes,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
  recoveryCodeStatus,
  replaceRecoveryCodes,
} from './recovery-codes.ts';
export { recoveryCode, totpCode, type CodeState, type CodeVerdict, type OneTimeCode } from './one-time-code.ts';
export {
  accountLabel,
  AUTHENTICATOR_APPS,
  groupSecret,
  matchTotpStep,
  newTotpSecret,
  otpauthUri,
  qrCodeDataUrl,
  TOTP_ISSUER,
} from './totp.ts';
