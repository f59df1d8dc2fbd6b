// The forms' schemas, built from the contract's field rules exactly as the server's routes
// build theirs (src/http/routes/*.ts), so the browser names a problem in the server's
// words before the round trip. The server checks again; these only spare the wait.
import { companyApiClientBody, email, multilineText, name, password, phone, recoveryCode, text, totpCode, username } from '@contract';
import { z } from 'zod';

export const identifySchema = z.object({ username: text('Username', 100), companyName: text('Company Name', 100) });

export const passwordStepSchema = z.object({ password: password() });

export const accountRequestSchema = z.object({
  companyName: name('Company Name', 100, 2),
  contactName: name('Contact Name', 100),
  email,
  phone,
  note: multilineText('Note', 2000),
});

export const inviteSchema = z.object({
  email,
  username,
  role: z.enum(['master', 'user'], { error: 'Role must be master or user.' }),
  displayName: name('Display name', 100, 0),
});

export const forgotPasswordSchema = identifySchema;

export const forgotCompanySchema = z.object({ email });

export const profileSchema = z.object({ displayName: name('Display name', 100) });

export const emailChangeSchema = z.object({ email, password: password() });

/** The new password's rule depends on the company: checked apart (checkNewPassword). */
export const passwordChangeSchema = z.object({
  currentPassword: password('Current password'),
  newPassword: z.string(),
  confirm: z.string(),
});

/** Proving it is the user before a 2FA change (src/http/routes/me.ts, recovery-codes.ts). */
export function reauthSchema(how: { password: boolean; recoveryCode: boolean }) {
  // A user created by single sign-on has no password here: the second factor alone. The
  // own 2FA reset takes a recovery code instead of the app's code (a phone lost).
  return z.object({
    password: how.password ? password() : z.string(),
    code: how.recoveryCode ? z.string() : totpCode,
    recoveryCode: how.recoveryCode ? recoveryCode : z.string(),
  });
}

/** Empty takes the server's default (the contact address's local part); otherwise a username. */
export const approveSchema = z.object({
  username: z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      if (!value) return;
      const checked = username.safeParse(value);
      if (!checked.success) ctx.addIssue({ code: 'custom', message: checked.error.issues[0]?.message ?? 'Invalid username.' });
    }),
});

export const rejectSchema = z.object({ reason: text('Reason', 1000) });

/**
 * A new API client: the contract's name and scopes; the expiry in days is optional, so an
 * empty box (the number input's '') means "never expires".
 */
export const apiClientSchema = z.object({
  name: companyApiClientBody.shape.name,
  scopes: companyApiClientBody.shape.scopes,
  expiresInDays: z.union([z.number(), z.string()]).superRefine((value, ctx) => {
    if (value === '') return;
    const checked = companyApiClientBody.shape.expiresInDays.unwrap().safeParse(typeof value === 'string' ? Number.NaN : value);
    if (!checked.success) ctx.addIssue({ code: 'custom', message: checked.error.issues[0]?.message ?? 'Invalid expiry.' });
  }),
});
