// Getting back in without a session (docs/API.md "Forgot password / company name",
// "Recovery codes"): the forgot forms, the reset and email-confirmation links, and a
// recovery code instead of the authenticator app at the login's code step.
import { get, post, seg, type LoginState } from '../api';

// The answers' types come from the server's own schemas (src/contract/types.ts).
export type { ResetLink } from '@contract';
import type { ResetLink } from '@contract';

export const recoveryApi = {
  /** Answers the same whether or not the account exists: show `message` as it is. */
  forgotPassword: (username: string, companyName: string) =>
    post<{ message: string }>('/login/forgot-password', { username, companyName }),
  forgotCompany: (email: string) => post<{ message: string }>('/login/forgot-company', { email }),

  resetLink: (token: string) => get<ResetLink>(`/password-reset/${seg(token)}`),
  resetPassword: (token: string, password: string, confirm: string) =>
    post<{ next: string }>('/password-reset', { token, password, confirm }),

  confirmEmail: (token: string) => post<{ email: string }>('/me/email/confirm', { token }),
  cancelEmailChange: (token: string) => post<{ cancelled: true }>('/me/email/cancel', { token }),

  loginWithRecoveryCode: (code: string) => post<LoginState>('/login/recovery', { code }),
};
