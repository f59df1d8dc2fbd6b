import type { ApiError } from '../../api';

// Answers after which the login this page shows is over (docs/API.md): ended by the
// server, so the next try starts at the first step; replaced by a login another tab of
// the browser started (login.restarted); or moved past this step by another tab or a twin
// request (login.wrong_step, or login.flow_expired for a login renamed past a proof),
// which the page then follows (LoginPage's onExpired).
const FLOW_ENDED = new Set(['login.flow_expired', 'totp.too_many_attempts', 'login.ip_not_allowed', 'login.restarted', 'login.wrong_step']);

/** Of those, the answers after which the page shows wherever this browser's login now is (another tab or a twin may have moved it). */
export const FOLLOWS_THE_BROWSER = new Set(['login.restarted', 'login.flow_expired', 'login.wrong_step']);

/** An error handler for useAction: the page leaves a login that is over. */
export const flowExpired = (onExpired: (message: string, code: string) => void) => (error: ApiError) => {
  if (!FLOW_ENDED.has(error.code)) return false;
  onExpired(error.message, error.code);
  return true;
};

/**
 * The error handler of a step that takes a code (the app's, a recovery code, a mailed one):
 * a login that is over leaves (flowExpired); a refused code is spent or wrong, so the field
 * starts afresh before its message shows. One still "being checked" after the retries
 * (api/loginAnswer.ts) is neither: it stays.
 */
export const codeRefused = (onExpired: (message: string, code: string) => void, clearCode: () => void) => (error: ApiError) => {
  if (flowExpired(onExpired)(error)) return true;
  if (error.code !== 'login.attempt_in_progress') clearCode();
  return false;
};
