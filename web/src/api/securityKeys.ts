// Passkeys and security keys (docs/API.md "Passkeys and security keys"): the user's own
// keys in My Settings, and the login steps that use one. The browser's part of each
// ceremony is @simplewebauthn/browser's (web/src/webauthn.ts).
import { forgetShownLogin, get, post, seg, type LoginState } from '../api';
import { createCredential, getCredential } from '../webauthn';
import { sendLoginAnswer } from './loginAnswer';

export type { SecurityKey } from '@contract';
import type { SecurityKey } from '@contract';

export const securityKeysApi = {
  list: () => get<{ keys: SecurityKey[] }>('/me/security-keys'),
  /** Password first (a borrowed session cannot add a key), then the browser's ceremony, then the answer. */
  add: async (password: string | undefined, name: string) => {
    const options = await post<Parameters<typeof createCredential>[0]>('/me/security-keys/options', password === undefined ? {} : { password });
    const response = await createCredential(options);
    return post<SecurityKey>('/me/security-keys', { ...(name ? { name } : {}), response });
  },
  rename: (id: string, name: string) => post<SecurityKey>(`/me/security-keys/${seg(id)}/rename`, { name }),
  /** The password again, as to add one: a borrowed session cannot take a key away either. */
  remove: (id: string, password: string | undefined) => post<object>(`/me/security-keys/${seg(id)}/remove`, password === undefined ? {} : { password }),

  /** During login (Your Security Matters, or the company requires a key): adds one; the flow moves to the code step. */
  enrollDuringLogin: async () => {
    const options = await post<Parameters<typeof createCredential>[0]>('/login/key-enrollment/options');
    const response = await createCredential(options);
    return post<LoginState & { recoveryCodes?: string[] }>('/login/key-enrollment', { response });
  },
  /** At the code step: the user's keys are asked for this login (its answer sent again while a twin is checked: loginAnswer.ts). */
  loginWithKey: async () => {
    const options = await post<Parameters<typeof getCredential>[0]>('/login/key/options');
    const response = await getCredential(options);
    return sendLoginAnswer(() => post<LoginState>('/login/key', { response }));
  },
  /** "Log in with a passkey": the browser offers the passkeys it has for Gatehouse. */
  loginWithPasskey: async (returnTo?: string) => {
    // A new login: whatever login the page showed is over (the answers name no loginId).
    forgetShownLogin();
    const options = await post<Parameters<typeof getCredential>[0]>('/login/passkey/options', returnTo ? { returnTo } : {});
    const response = await getCredential(options);
    return sendLoginAnswer(() => post<LoginState>('/login/passkey', { response }));
  },
};
