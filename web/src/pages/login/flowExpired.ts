import type { ApiError } from '../../api';

// Answers after which the server has ended the login flow (docs/API.md): the next try
// starts at the first step, so the page goes there with the message.
const FLOW_ENDED = new Set(['login.flow_expired', 'totp.too_many_attempts', 'login.ip_not_allowed']);

/** An error handler for useAction: an ended flow goes back to the first step. */
export const flowExpired = (onExpired: (message: string) => void) => (error: ApiError) => {
  if (!FLOW_ENDED.has(error.code)) return false;
  onExpired(error.message);
  return true;
};
