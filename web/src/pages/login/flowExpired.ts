import type { ApiError } from '../../api';

// Answers after which the login this page shows is over (docs/API.md): ended by the
// server, so the next try starts at the first step; or replaced by a login another tab of
// the browser started (login.restarted), which the page then shows. Either way with the message.
const FLOW_ENDED = new Set(['login.flow_expired', 'totp.too_many_attempts', 'login.ip_not_allowed', 'login.restarted']);

/** An error handler for useAction: the page leaves a login that is over. */
export const flowExpired = (onExpired: (message: string, code: string) => void) => (error: ApiError) => {
  if (!FLOW_ENDED.has(error.code)) return false;
  onExpired(error.message, error.code);
  return true;
};
