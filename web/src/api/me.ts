// My Settings (docs/API.md "My Settings" and "Recovery codes"): the signed-in user's own
// profile, email, password, 2FA, recovery codes and sessions.
import { get, post, seg, type PasswordRule } from '../api';
import type { CompanyRole } from './admin';

export interface Profile {
  username: string;
  displayName: string;
  email: string;
  pendingEmail: string | null;
  role: CompanyRole;
  companyName: string;
  twoFactorEnrolledAt: string | null;
  /** The company's password rule, for the live checklist of the password change. */
  passwordPolicy: PasswordRule;
}

export interface MySession {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export interface RecoveryCodeStatus {
  remaining: number;
  total: number;
  generatedAt: string | null;
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

export const meApi = {
  profile: () => get<Profile>('/me/profile'),
  saveProfile: (displayName: string) => post<Profile>('/me/profile', { displayName }),
  changeEmail: (email: string, password: string) =>
    post<{ pendingEmail: string; expiresAt: string }>('/me/email', { email, password }),
  changePassword: (change: PasswordChange) => post<{ otherSessionsEnded: boolean }>('/me/password', change),
  resetTwoFactor: (password: string, code: string) => post<{ next: string }>('/me/two-factor/reset', { password, code }),

  recoveryCodes: () => get<RecoveryCodeStatus>('/me/recovery-codes'),
  regenerateRecoveryCodes: (password: string, code: string) =>
    post<{ recoveryCodes: string[] }>('/me/recovery-codes', { password, code }),

  sessions: () => get<{ sessions: MySession[] }>('/me/sessions'),
  revokeSession: (id: string) => post<{ signedOut: boolean }>(`/me/sessions/${seg(id)}/revoke`),
  signOutEverywhere: () => post<{ next: string }>('/me/sessions/revoke-all'),
};
