// The credentials door: password rules and TOTP.
export { checkNewPassword, MIN_PASSWORD_LENGTH, PASSWORD_RULES, type PasswordVerdict } from './password-policy.ts';
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
