// My Settings (docs/API.md "My Settings" and "Recovery codes"): the signed-in user's own
// profile, email, password, 2FA, recovery codes and sessions.
import { get, post, seg } from '../api';
import { getCredential } from '../webauthn';

// The answers' types come from the server's own schemas (src/contract/types.ts).
export type { EmailChangePending, MySession, Profile, RecoveryCodeStatus } from '@contract';
import type { EmailChangePending, MySession, Profile, RecoveryCodeStatus } from '@contract';
import { tellOtherTabs } from '../session/tabsChannel';

/** Proof before a 2FA change: password and code, password and key, or a key that checks a PIN or fingerprint. */
export interface Proof {
  password?: string;
  code?: string;
  /** Instead of the app's code, where the change takes one (the own 2FA reset). */
  recoveryCode?: string;
  key?: Awaited<ReturnType<typeof getCredential>>;
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

export const meApi = {
  profile: () => get<Profile>('/me/profile'),
  saveProfile: (displayName: string) => post<Profile>('/me/profile', { displayName }),
  /** Asks to change the address; the current one again withdraws a change waiting for confirmation (both fields null). */
  changeEmail: (email: string, password: string) => post<EmailChangePending>('/me/email', { email, password }),
  changePassword: (change: PasswordChange) => post<{ otherSessionsEnded: boolean }>('/me/password', change),
  resetTwoFactor: (proof: Proof) => post<{ next: string }>('/me/two-factor/reset', proof),
  /** The browser asks for one of the user's keys, against a challenge bound to this session. */
  keyProof: async () => getCredential(await post<Parameters<typeof getCredential>[0]>('/me/reauth/key-options')),

  /** Proves this session (the step-up before a sensitive change; see StepUpProvider). */
  reauth: (proof: Proof) => post<{ provedUntil: string }>('/me/reauth', proof),

  recoveryCodes: () => get<RecoveryCodeStatus>('/me/recovery-codes'),
  regenerateRecoveryCodes: (proof: Proof) => post<{ recoveryCodes: string[] }>('/me/recovery-codes', proof),

  sessions: () => get<{ sessions: MySession[] }>('/me/sessions'),
  revokeSession: (id: string) => post<{ signedOut: boolean }>(`/me/sessions/${seg(id)}/revoke`),
  signOutEverywhere: async () => {
    const done = await post<{ next: string }>('/me/sessions/revoke-all');
    tellOtherTabs({ kind: 'signed-out' });
    return done;
  },
};
