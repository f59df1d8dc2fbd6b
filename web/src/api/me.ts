// My Settings (docs/API.md "My Settings" and "Recovery codes"): the signed-in user's own
// profile, email, password, 2FA, recovery codes and sessions.
import { get, post, seg } from '../api';

// The answers' types come from the server's own schemas (src/contract/types.ts).
export type { MySession, Profile, RecoveryCodeStatus } from '@contract';
import type { MySession, Profile, RecoveryCodeStatus } from '@contract';

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
