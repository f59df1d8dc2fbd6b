// Emails of self-service and account recovery. As in templates.ts, every value a person
// or a tenant chose goes through shownInMail and is escaped for HTML, and links come
// from the configured public URL only.
import { escapeHtml, layout, shownInMail, strongInMail, type RenderedMail } from './templates.ts';

const NOT_YOU = 'If this was not you, tell your company administrator right away.';

function button(label: string, url: string): string {
  return `<p style="padding:16px 0"><a href="${escapeHtml(url)}" style="background:#1c7ed6;color:#ffffff;padding:12px 28px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block">${escapeHtml(label)}</a></p>`;
}

function small(text: string): string {
  return `<p style="font-size:13px;color:#52606d">${text}</p>`;
}

function linkFooter(url: string, expiresAt: Date): string {
  return small(
    `The link works once and expires on ${escapeHtml(expiresAt.toUTCString())}. If the button does not work, paste this address into your browser:<br><span style="word-break:break-all">${escapeHtml(url)}</span>`,
  );
}

/** "carol at Acme", each name left out for a stand-in where mail may not show it. */
function account(companyName: string, username: string): string {
  return `${shownInMail(username, 'your account')} at ${shownInMail(companyName, 'your company')}`;
}

function accountHtml(companyName: string, username: string): string {
  return `${strongInMail(username, 'your account')} at ${strongInMail(companyName, 'your company')}`;
}

export function passwordResetEmail(input: { companyName: string; username: string; resetUrl: string; expiresAt: Date }): RenderedMail {
  const subject = 'Reset your Gatehouse password';
  const html = layout(
    subject,
    `<p>Someone asked to reset the password of ${accountHtml(input.companyName, input.username)}.</p>
${button('Reset Password', input.resetUrl)}
${linkFooter(input.resetUrl, input.expiresAt)}
${small('After choosing a new password you log in as usual, including the code from your authenticator app. If you did not ask for this, ignore this email: your password stays as it is.')}`,
  );
  const text = [
    subject,
    '',
    `Someone asked to reset the password of ${account(input.companyName, input.username)}.`,
    '',
    'Reset Password:',
    input.resetUrl,
    '',
    `The link works once and expires on ${input.expiresAt.toUTCString()}.`,
    'After choosing a new password you log in as usual, including the code from your authenticator app.',
    'If you did not ask for this, ignore this email: your password stays as it is.',
  ].join('\n');
  return { subject, html, text };
}

/** "Forgot password" for a user created by single sign-on: there is no Gatehouse password to reset. */
export function passwordManagedEmail(input: { companyName: string; username: string; providerName: string | null }): RenderedMail {
  const subject = 'Your Gatehouse password is managed by your company';
  const where = shownInMail(input.providerName, "your company's identity provider");
  const html = layout(
    subject,
    `<p>Someone asked to reset the password of ${accountHtml(input.companyName, input.username)}.</p>
<p>Your password is managed by <strong>${escapeHtml(where)}</strong>: you sign in to Gatehouse through it, and Gatehouse keeps no password for you. Reset it there, or ask your company's IT.</p>
${small('If you did not ask for this, ignore this email.')}`,
  );
  const text = [
    subject,
    '',
    `Someone asked to reset the password of ${account(input.companyName, input.username)}.`,
    '',
    `Your password is managed by ${where}: you sign in to Gatehouse through it, and Gatehouse keeps no password for you. Reset it there, or ask your company's IT.`,
    'If you did not ask for this, ignore this email.',
  ].join('\n');
  return { subject, html, text };
}

export function confirmEmailChangeEmail(input: { companyName: string; username: string; confirmUrl: string; expiresAt: Date }): RenderedMail {
  const subject = 'Confirm your new Gatehouse email address';
  const html = layout(
    subject,
    `<p>Confirm that this address should become the email address of ${accountHtml(input.companyName, input.username)}.</p>
${button('Confirm Email Address', input.confirmUrl)}
${linkFooter(input.confirmUrl, input.expiresAt)}
${small('Until you confirm, nothing changes. If you did not ask for this, ignore this email.')}`,
  );
  const text = [
    subject,
    '',
    `Confirm that this address should become the email address of ${account(input.companyName, input.username)}:`,
    input.confirmUrl,
    '',
    `The link works once and expires on ${input.expiresAt.toUTCString()}.`,
    'Until you confirm, nothing changes. If you did not ask for this, ignore this email.',
  ].join('\n');
  return { subject, html, text };
}

export function emailChangeNoticeEmail(input: { companyName: string; username: string; newEmail: string; cancelUrl: string; expiresAt: Date }): RenderedMail {
  const subject = 'Your Gatehouse email address is being changed';
  const html = layout(
    subject,
    `<p>A change of the email address of ${accountHtml(input.companyName, input.username)} to <strong>${escapeHtml(input.newEmail)}</strong> was requested.</p>
<p>It takes effect only once confirmed from the new address. If this was not you, cancel it: the change is stopped and its confirmation link stops working.</p>
${button('Cancel the Change', input.cancelUrl)}
${linkFooter(input.cancelUrl, input.expiresAt)}
${small(escapeHtml(`${NOT_YOU} Then change your password, which also signs you out everywhere.`))}`,
  );
  const text = [
    subject,
    '',
    `A change of the email address of ${account(input.companyName, input.username)} to ${input.newEmail} was requested.`,
    'It takes effect only once confirmed from the new address.',
    '',
    'If this was not you, cancel the change:',
    input.cancelUrl,
    '',
    `The link works once and expires on ${input.expiresAt.toUTCString()}.`,
    `${NOT_YOU} Then change your password, which also signs you out everywhere.`,
  ].join('\n');
  return { subject, html, text };
}

// A company or username mail may not show (it looks like a link) still has its line.
const HIDDEN_COMPANY = 'a company whose name is not shown here because it looks like a link';
const HIDDEN_USERNAME = 'not shown here because it looks like a link';

export function companyNamesEmail(input: { accounts: Array<{ companyName: string; username: string }> }): RenderedMail {
  const subject = 'Your Gatehouse companies';
  const listed = input.accounts.map((a) => `${shownInMail(a.companyName, HIDDEN_COMPANY)} (username ${shownInMail(a.username, HIDDEN_USERNAME)})`);
  const items = listed.map((line) => `<li>${escapeHtml(line)}</li>`).join('');
  const html = layout(
    subject,
    `<p>Someone asked which companies this email address can log in to. Use the company name exactly as shown on the login page:</p>
<ul>${items}</ul>
${small('If you did not ask for this, you can ignore this email.')}`,
  );
  const text = [
    subject,
    '',
    'Someone asked which companies this email address can log in to. Use the company name as shown on the login page:',
    ...listed.map((line) => `- ${line}`),
    '',
    'If you did not ask for this, you can ignore this email.',
  ].join('\n');
  return { subject, html, text };
}

/** The security changes a user is told of by mail: what happened, its subject, and which sessions it ended. */
const SECURITY_CHANGES = {
  // The browser that changed it stays signed in (a fresh session: users/self-service.ts
  // keepOnlyThisBrowser); every other ends. Said as it is: "every session" would tell an
  // owner whose borrowed session made the change that the borrower was signed out.
  password_changed: { what: 'The password was changed from My Settings.', subject: 'Your Gatehouse password was changed', signedOut: 'others' },
  password_reset: { what: 'The password was reset through a link sent to this address.', subject: 'Your Gatehouse password was changed', signedOut: 'all' },
  two_factor_reset: {
    what: 'Two-factor authentication was reset; a new authenticator app is set up at the next login.',
    subject: 'Your Gatehouse two-factor authentication was reset',
    signedOut: 'all',
  },
  // Carried out by a Master or an API client, not from My Settings: the owner learns who.
  two_factor_reset_by_admin: {
    what: 'An administrator of your company reset two-factor authentication; at the next login, a code mailed to this address comes first, then a new authenticator app is set up.',
    subject: 'Your Gatehouse two-factor authentication was reset',
    signedOut: 'all',
  },
  // A provider's claim rewrote the address: mail goes to the new one from now on, so the
  // old one is told (as My Settings' change tells it), the new address left out (the
  // provider chose it; the audit trail keeps it).
  email_replaced_by_provider: {
    what: "The email address was replaced by the one your company's identity provider sent at a single sign-on. Mail for this account now goes there, not to this address.",
    subject: 'Your Gatehouse email address was changed',
    signedOut: 'none',
  },
  // A key signs in by itself (a passkey needs no password), so one planted by whoever
  // borrowed a session is worth telling the owner of, as much as a password change.
  key_added: { what: 'A passkey or security key was added. It can sign in to this account.', subject: 'A security key was added to your Gatehouse account', signedOut: 'none' },
  // A signed answer whose counter went backwards: someone holds a copy of the key's
  // private key (login/key-copy.ts). Refused, and the key switched off for good; the owner
  // is the one who can act on it, and signs in meanwhile as without the key. The sessions a
  // key signed were signed out (said in `what`: SIGNED_OUT has no words for "some").
  key_copy_refused: {
    what: "A sign-in with one of your passkeys or security keys was refused: the key's answer came from what looks like a copy of it (its use count went backwards). The key is now switched off: neither it nor any copy of it signs in any more. Every session signed in with a passkey or security key was signed out, with the apps it had signed in to, as the copy may have made any of them; sessions signed in otherwise stay. My Settings shows it as switched off; remove it there and add it again (or another key). Until then, sign in with your authenticator app, another key or a recovery code. If you did not just use an older copy yourself, someone may have copied the key: change your password too.",
    subject: 'A copy of your Gatehouse security key was refused',
    signedOut: 'none',
  },
  key_removed: { what: 'A passkey or security key was removed from My Settings.', subject: 'A security key was removed from your Gatehouse account', signedOut: 'none' },
  recovery_codes_replaced: {
    what: 'New recovery codes were made from My Settings; the earlier ones no longer work.',
    subject: 'New Gatehouse recovery codes were made',
    signedOut: 'none',
  },
  // Whoever holds the codes (printed, downloaded) and the password gets in with one: the
  // owner hears of each use, as of any other way in that is not their phone.
  recovery_code_used: {
    what: 'A recovery code was used to sign in. Each code works once; My Settings shows how many are left. If this was not you, change your password and ask a Master of your company to reset your two-factor authentication.',
    subject: 'A Gatehouse recovery code was used to sign in',
    signedOut: 'none',
  },
  // A client's secret acts with a Master's rights, without a second factor, and outlives
  // every session: one taken with a borrowed session is worth telling the owner of.
  api_client_created: {
    what: 'An API client was created with this account, and its secret shown. The secret acts for the company with the scopes chosen until the client is deleted or its secret rotated.',
    subject: 'An API client was created with your Gatehouse account',
    signedOut: 'none',
  },
  api_client_secret_rotated: {
    what: "An API client's secret was rotated with this account, and the new secret shown. It acts for the company with the client's scopes until the client is deleted or its secret rotated again.",
    subject: "An API client's secret was rotated with your Gatehouse account",
    signedOut: 'none',
  },
} as const;

/** What a change did to the account's sessions, in the notice's words. */
const SIGNED_OUT: Record<'all' | 'others' | 'none', string> = {
  all: 'Every session was signed out.',
  others: 'Every other session was signed out; the one that made the change stays signed in.',
  none: '',
};

export type SecurityChange = keyof typeof SECURITY_CHANGES;
export const SECURITY_CHANGE_KINDS = Object.keys(SECURITY_CHANGES) as SecurityChange[];

/** Who made a change, as a notice names them: a person by username, an API client by its name. */
export type NoticeActorName = { username: string } | { apiClientName: string };

function actedBy(by: NoticeActorName, at: Date): string {
  const who = 'username' in by ? `the user ${shownInMail(by.username, '(username not shown)')}` : `the API client ${shownInMail(by.apiClientName, '(name not shown)')}`;
  return `Done by ${who} on ${at.toUTCString()}.`;
}

export function securityNoticeEmail(input: { companyName: string; username: string; change: SecurityChange; by?: NoticeActorName; at?: Date }): RenderedMail {
  const { what, subject, signedOut } = SECURITY_CHANGES[input.change];
  const done = [what, SIGNED_OUT[signedOut], ...(input.by && input.at ? [actedBy(input.by, input.at)] : [])].filter(Boolean).join(' ');
  const html = layout(
    subject,
    `<p>A security change on ${accountHtml(input.companyName, input.username)}:</p>
<p>${escapeHtml(done)}</p>
${small(escapeHtml(NOT_YOU))}`,
  );
  const text = [subject, '', `A security change on ${account(input.companyName, input.username)}:`, done, NOT_YOU].join('\n');
  return { subject, html, text };
}

/**
 * The changes to a company that its Masters and Root Master are all told of: each gives
 * whoever holds a borrowed Master session a way in that outlives the owner's recovery
 * (another Master, the Root Master role, a provider that vouches for anyone, a weaker
 * policy, a 2FA the attacker enrolls next). `what` takes the change's subject (a username,
 * a provider's name), already made safe for mail.
 */
const COMPANY_CHANGES = {
  master_invited: { subject: 'A Master was invited to your Gatehouse company', what: (s: string) => `${s} was invited as a Master.` },
  master_made: { subject: 'A user was made a Master of your Gatehouse company', what: (s: string) => `${s} was made a Master.` },
  // A Master the company had deactivated is one again (the way in the deactivation closed reopens).
  master_reactivated: { subject: 'A Master of your Gatehouse company was reactivated', what: (s: string) => `${s} was reactivated as a Master.` },
  root_master_transferred: { subject: 'The Root Master role of your Gatehouse company was transferred', what: (s: string) => `The Root Master role was transferred to ${s}.` },
  sso_provider_added: { subject: 'A single sign-on provider was added to your Gatehouse company', what: (s: string) => `The single sign-on provider ${s} was added.` },
  sso_provider_changed: { subject: 'A single sign-on provider of your Gatehouse company was changed', what: (s: string) => `The settings of the single sign-on provider ${s} were changed.` },
  sso_provider_enabled: { subject: 'Single sign-on was switched on for your Gatehouse company', what: (s: string) => `The single sign-on provider ${s} was switched on: users now sign in through it.` },
  sso_settings_changed: { subject: 'The single sign-on settings of your Gatehouse company were changed', what: (s: string) => `The single sign-on settings were changed: ${s}.` },
  policy_changed: { subject: 'The security policy of your Gatehouse company was changed', what: (s: string) => `The security policy was changed: ${s}.` },
  two_factor_reset: { subject: "A user's two-factor authentication was reset in your Gatehouse company", what: (s: string) => `The two-factor authentication of ${s} was reset; a new authenticator app is set up at their next login.` },
} as const;

export type CompanyChange = keyof typeof COMPANY_CHANGES;
export const COMPANY_CHANGE_KINDS = Object.keys(COMPANY_CHANGES) as CompanyChange[];

/** Said in the last company notice a Master is mailed in an hour (companyNoticeCaps). */
const LAST_THIS_HOUR =
  'So many changes have been made to the company in the last hour that Gatehouse mails you no more of them one by one until the hour is over: every change is in the audit trail. If so many changes were not expected, check it now.';

const CHECK =
  'If you expected this, nothing needs doing. Otherwise sign in and check the Users, Single sign-on and Policy pages of the company and its audit trail; if you did not expect this, change your password and sign out everywhere, and tell the other Masters.';

/**
 * A notice to a Master of the company. `subject` names what changed: a username or a
 * provider's name (left out if mail may not show it), or a list of Gatehouse's own words
 * (`subjectIsOwnWords`: the policy's settings, the sign-on mode). `details`, Gatehouse's
 * own words, says what of it changed (a provider's fields, never a value).
 */
export function companyNoticeEmail(input: {
  companyName: string;
  username: string;
  change: CompanyChange;
  subject: string;
  subjectIsOwnWords?: boolean;
  details?: string | undefined;
  by: NoticeActorName;
  at: Date;
  /** The last one mailed this hour (companyNoticeCaps): the notice says so, and why. */
  lastThisHour?: boolean;
}): RenderedMail {
  const { subject, what } = COMPANY_CHANGES[input.change];
  const named = input.subjectIsOwnWords ? input.subject : shownInMail(input.subject, '(name not shown)');
  const changed = input.details ? ` Changed: ${input.details}.` : '';
  const done = `${what(named)}${changed} ${actedBy(input.by, input.at)}`;
  const more = input.lastThisHour ? LAST_THIS_HOUR : undefined;
  const html = layout(
    subject,
    `<p>A security change in ${strongInMail(input.companyName, 'your company')}, where you (${strongInMail(input.username, 'your account')}) are a Master:</p>
<p>${escapeHtml(done)}</p>
${more ? `<p><strong>${escapeHtml(more)}</strong></p>\n` : ''}${small(escapeHtml(CHECK))}`,
  );
  const text = [subject, '', `A security change in ${shownInMail(input.companyName, 'your company')}, where you (${shownInMail(input.username, 'your account')}) are a Master:`, done, ...(more ? ['', more] : []), '', CHECK].join('\n');
  return { subject, html, text };
}

/**
 * The code that lets a login set up 2FA again after someone else reset it
 * (src/login/mail-proof.ts): the password alone no longer chooses the next factor.
 */
export function enrollmentCodeEmail(input: { companyName: string; username: string; code: string; minutes: number }): RenderedMail {
  const subject = 'Your Gatehouse code to set up 2FA';
  const warning = 'If this was not you, do not give this code to anyone: someone knows your password. Change it, and tell your company administrator right away.';
  const html = layout(
    subject,
    `<p>Someone logged in to ${accountHtml(input.companyName, input.username)} with its password to set up two-factor authentication again, after it was reset.</p>
<p>Enter this code on the login page:</p>
<p style="font-size:28px;font-weight:700;letter-spacing:6px;font-family:monospace">${escapeHtml(input.code)}</p>
${small(`The code works once, for ${input.minutes} minutes.`)}
${small(escapeHtml(warning))}`,
  );
  const text = [
    subject,
    '',
    `Someone logged in to ${account(input.companyName, input.username)} with its password to set up two-factor authentication again, after it was reset.`,
    '',
    `Enter this code on the login page: ${input.code}`,
    '',
    `The code works once, for ${input.minutes} minutes.`,
    warning,
  ].join('\n');
  return { subject, html, text };
}
