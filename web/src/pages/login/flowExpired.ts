import type { ApiError } from '../../api';

/** An error handler for useAction: a 409 login.flow_expired goes back to the first step. */
export const flowExpired = (onExpired: (message: string) => void) => (error: ApiError) => {
  if (error.code !== 'login.flow_expired') return false;
  onExpired(error.message);
  return true;
};
