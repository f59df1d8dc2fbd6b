// Signing in and getting in: the identifier-first login, first-login enrollment,
// recovery before login, the Sign Up link, and asking for a company account.
import { z } from 'zod';
import { done, linkToken, nextPage, time } from './common.ts';
import { email, multilineText, name, password, phone, recoveryCode, RETURN_TO_PATTERN, text, totpCode } from './fields.ts';
import { PASSWORD_CLASSES } from './password-rules.ts';

/** 'sso': the company signs in through its identity provider; 'sso_trusted': back from it, one call finishes. */
export const loginSteps = z.enum(['identify', 'password', 'totp', 'mail_code', 'enroll', 'key_enroll', 'sso', 'sso_trusted', 'done']);

export const passwordRule = z.object({ minLength: z.number().int(), classes: z.array(z.enum(PASSWORD_CLASSES)) });

/** Where a login stands; the names come back so the page can show who is signing in. */
export const loginState = z.object({
  step: loginSteps,
  /**
   * The login this answer is about, the same at every step (identify's and GET /api/login's
   * answers name it). A page sends it back in the X-Gatehouse-Login header with each step:
   * a login started meanwhile in another tab of the browser is then not mistaken for its
   * own (409 login.restarted).
   */
  loginId: z.string().optional(),
  username: z.string().optional(),
  companyName: z.string().optional(),
  /** At the 'sso' step: the name of the company's identity provider. */
  provider: z.string().optional(),
  /** At the code step: the ways this user may finish (app code, passkey or security key, recovery code). */
  secondFactors: z.array(z.enum(['app', 'key', 'recovery_code'])).optional(),
});
/** Where to send the browser: the company's identity provider. */
export const ssoRedirect = z.object({ redirectTo: z.string() });

export const identifyBody = z.object({
  username: text('Username', 100),
  companyName: text('Company Name', 100),
  returnTo: z.string().regex(RETURN_TO_PATTERN, 'Not a place Gatehouse can return to.').optional(),
});
export const passwordBody = z.object({ password: password() });
export const codeBody = z.object({ code: totpCode });
export const recoveryCodeBody = z.object({ code: recoveryCode });

/** The login is done: the session cookie is set; `redirectTo` continues a module's sign-in. */
export const loginDone = z.object({ step: loginSteps, redirectTo: z.string().optional() });
/**
 * Back from a trusted provider: done, as loginDone; or, where the company's policy came to
 * hold the user to a key meanwhile, the login's next step, as loginState names it.
 */
export const trustedLoginAnswer = loginState.extend({ redirectTo: z.string().optional() });
export const enrollmentDone = loginDone.extend({ recoveryCodes: z.array(z.string()) });

/** After a 2FA reset by someone else: the code is on its way to this address (masked). */
export const enrollmentCodeSent = z.object({ sentTo: z.string(), resendAfterSeconds: z.number().int() });

export const enrollmentStart = z.object({
  qrCodeDataUrl: z.string(),
  secret: z.string(),
  secretGrouped: z.string(),
  issuer: z.string(),
  accountName: z.string(),
  apps: z.array(z.string()),
});

export const forgotPasswordBody = z.object({ username: text('Username', 100), companyName: text('Company Name', 100) });
export const forgotCompanyBody = z.object({ email });
export const sameAnswer = z.object({ message: z.string() });

/** A new password from an emailed link (Sign Up, or a password reset). */
export const newPasswordBody = z.object({ token: linkToken, password: password(), confirm: password('Confirm Password') });

export const signupLink = z.object({
  companyName: z.string(),
  username: z.string(),
  expiresAt: time,
  passwordPolicy: passwordRule,
});
export const passwordResetLink = z.object({
  companyName: z.string(),
  username: z.string(),
  expiresAt: time,
  passwordPolicy: passwordRule,
});

export const accountRequestBody = z.object({
  companyName: name('Company Name', 100, 2),
  contactName: name('Contact Name', 100),
  email,
  phone,
  note: multilineText('Note', 2000),
});
export const accountRequestCreated = z.object({ id: z.uuid(), status: z.enum(['pending', 'approved', 'rejected']) });

export { done, nextPage };
