// The signed-in user's own account: who they are, My Settings (profile, email, password,
// 2FA, sessions) and recovery codes.
import { z } from 'zod';
import { companyStatuses, linkToken, maybeTime, roles, time } from './common.ts';
import { email, name, password, recoveryCode, totpCode } from './fields.ts';
import { passwordRule } from './sign-in.ts';
import { authenticationResponse } from './security-keys.ts';
import { sessionHandle } from './company.ts';

/** GET /api/me: the session's user, company and how they signed in. */
export const me = z.object({
  user: z.object({
    id: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    email: z.string(),
    role: roles,
    isOperator: z.boolean(),
  }),
  company: z.object({ id: z.uuid(), name: z.string(), status: companyStatuses }),
  /**
   * How the user signed in, and the limits the session runs under: it ends `idleMinutes`
   * after its last use (`idleSecondsLeft` from this answer), and at `endsAt` however used
   * (`secondsLeft`): counted by the server, for a client whose clock is not the server's. A
   * page left open looks (X-Gatehouse-Look-Only, no use of the session) and clears itself
   * once it is over (a shared computer: nothing of the user's stays on screen).
   */
  session: z.object({
    authTime: time,
    amr: z.array(z.string()),
    idleMinutes: z.number().int(),
    idleSecondsLeft: z.number().int(),
    endsAt: time,
    secondsLeft: z.number().int(),
  }),
});

export const profile = z.object({
  username: z.string(),
  displayName: z.string(),
  email: z.string(),
  pendingEmail: z.string().nullable(),
  role: roles,
  companyName: z.string(),
  twoFactorEnrolledAt: maybeTime,
  passwordPolicy: passwordRule,
  /** How this user can prove it is them before a sensitive change (the dialog offers only these). */
  proof: z.object({ password: z.boolean(), app: z.boolean(), key: z.boolean() }),
  /** For a user created by single sign-on, with no password here: the provider that holds it. */
  passwordManagedBy: z.string().nullable(),
});
export const profileBody = z.object({ displayName: name('Display name', 100) });

export const emailChangeBody = z.object({ email, password: password() });
/** The change now waiting for confirmation; both null when asking for the current address again withdrew the one waiting. */
export const emailChangePending = z.object({ pendingEmail: z.string().nullable(), expiresAt: time.nullable() });
export const emailLinkBody = z.object({ token: linkToken });
export const emailConfirmed = z.object({ email: z.string() });
export const emailChangeCancelled = z.object({ cancelled: z.boolean() });

export const passwordChangeBody = z.object({
  currentPassword: password('Current password'),
  newPassword: password('New password'),
  confirm: password('Confirm Password'),
});
export const passwordChanged = z.object({ otherSessionsEnded: z.boolean() });

/**
 * Proof before resetting one's own 2FA or making new recovery codes: the password and a
 * current code, or a passkey or security key's answer to POST /api/me/reauth/key-options
 * (with the password, unless the key verified its user). A user created by single sign-on
 * has no password here and sends the code or key alone.
 */
export const reauthProof = z
  .object({ password: password().optional(), code: totpCode.optional(), key: authenticationResponse.optional() })
  .superRefine((proof, ctx) => {
    if (proof.key) return;
    if (proof.code === undefined) ctx.addIssue({ code: 'custom', path: ['code'], message: 'Enter the 6-digit code.' });
  });

/**
 * POST /api/me/two-factor/reset: the proof above, or the password and one unused recovery
 * code (a phone lost: the codes are what stands for the app, at the login and here).
 */
export const ownResetProof = z
  .object({ password: password().optional(), code: totpCode.optional(), recoveryCode: recoveryCode.optional(), key: authenticationResponse.optional() })
  .superRefine((proof, ctx) => {
    if (proof.key || proof.recoveryCode !== undefined) return;
    if (proof.code === undefined) ctx.addIssue({ code: 'custom', path: ['code'], message: 'Enter the 6-digit code.' });
  });

/** POST /api/me/reauth: this session may make sensitive changes until then (10 minutes). */
export const reauthProved = z.object({ provedUntil: time });

export const mySessions = z.object({
  sessions: z.array(
    z.object({
      id: z.string(),
      createdAt: time,
      lastSeenAt: time,
      /** The address it was signed in from. */
      ip: z.string().nullable(),
      /** The address it was last used from (stored at most once a minute, or seconds after a change of address). */
      lastSeenIp: z.string().nullable(),
      userAgent: z.string().nullable(),
      current: z.boolean(),
    }),
  ),
});
export const sessionParams = z.object({ handle: sessionHandle });
export const sessionRevoked = z.object({ signedOut: z.boolean() });

export const recoveryCodeStatus = z.object({ remaining: z.number().int(), total: z.number().int(), generatedAt: maybeTime });
export const newRecoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });
