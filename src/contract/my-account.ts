// The signed-in user's own account: who they are, My Settings (profile, email, password,
// 2FA, sessions) and recovery codes.
import { z } from 'zod';
import { companyStatuses, linkToken, maybeTime, roles, time } from './common.ts';
import { email, name, password, totpCode } from './fields.ts';
import { passwordRule } from './sign-in.ts';

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
  session: z.object({ authTime: time, amr: z.array(z.string()) }),
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
});
export const profileBody = z.object({ displayName: name('Display name', 100) });

export const emailChangeBody = z.object({ email, password: password() });
export const emailChangePending = z.object({ pendingEmail: z.string(), expiresAt: time });
export const emailLinkBody = z.object({ token: linkToken });
export const emailConfirmed = z.object({ email: z.string() });
export const emailChangeCancelled = z.object({ cancelled: z.boolean() });

export const passwordChangeBody = z.object({
  currentPassword: password('Current password'),
  newPassword: password('New password'),
  confirm: password('Confirm Password'),
});
export const passwordChanged = z.object({ otherSessionsEnded: z.boolean() });

/** The password and a current code: proof enough to reset one's own 2FA or make new recovery codes. */
export const passwordAndCode = z.object({ password: password(), code: totpCode });

export const mySessions = z.object({
  sessions: z.array(
    z.object({
      id: z.string(),
      createdAt: time,
      lastSeenAt: time,
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
      current: z.boolean(),
    }),
  ),
});
export const sessionParams = z.object({ handle: z.string() });
export const sessionRevoked = z.object({ signedOut: z.boolean() });

export const recoveryCodeStatus = z.object({ remaining: z.number().int(), total: z.number().int(), generatedAt: maybeTime });
export const newRecoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });
