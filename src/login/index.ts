// The login door: identifier-first steps, lockout and forced 2FA enrollment.
export {
  abandonFlow,
  checkPassword,
  checkTotp,
  currentStep,
  finishEnrollment,
  identify,
  MAX_TOTP_FAILURES,
  startEnrollment,
  type LoginStep,
} from './steps.ts';
export { LOCK_MS, MAX_FAILURES } from './lockout.ts';
