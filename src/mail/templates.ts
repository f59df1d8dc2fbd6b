// Email bodies. Every value a person or a tenant chose (company, username, display and
// provider names) goes through shownInMail, subject included, and is escaped for HTML;
// links are built from the configured public URL only, never from a request's Host.
import { escapeHtml } from '../shared/html.ts';
import { isLinkLike } from './link-like.ts';

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

export { escapeHtml };

export function layout(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title></head>
<body style="margin:0;background:#f4f6f8;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:32px 12px">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px;padding:32px">
<tr><td style="font-size:20px;font-weight:700;color:#1c3d5a;padding-bottom:16px">Gatehouse</td></tr>
<tr><td style="font-size:15px;line-height:1.6">${bodyHtml}</td></tr>
</table></td></tr></table></body></html>`;
}

export function welcomeEmail(input: {
  companyName: string;
  username: string;
  signUpUrl: string;
  expiresAt: Date;
}): RenderedMail {
  const company = shownInMail(input.companyName, null);
  const username = shownInMail(input.username, null);
  const url = escapeHtml(input.signUpUrl);
  const expires = input.expiresAt.toUTCString();
  const usernameLine = username === null ? SHOWN_ON_SIGN_UP : `Your username is ${username}.`;
  const html = layout(
    'Welcome to Gatehouse',
    `<p>Your company${company === null ? '' : ` <strong>${escapeHtml(company)}</strong>`} now has a Gatehouse account, and you are its Root Master.</p>
<p>${username === null ? escapeHtml(usernameLine) : `Your username is <strong>${escapeHtml(username)}</strong>.`} Click <strong>Sign Up</strong> to set your password.</p>
<p style="padding:16px 0"><a href="${url}" style="background:#1c7ed6;color:#ffffff;padding:12px 28px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block">Sign Up</a></p>
<p style="font-size:13px;color:#52606d">The link works once and expires on ${escapeHtml(expires)}. If the button does not work, paste this address into your browser:<br><span style="word-break:break-all">${url}</span></p>
<p style="font-size:13px;color:#52606d">After setting your password you will log in with your username, your company name and your password, then set up two-factor authentication with an authenticator app.</p>`,
  );
  const text = [
    'Welcome to Gatehouse',
    '',
    `Your company${company === null ? '' : ` ${company}`} now has a Gatehouse account, and you are its Root Master.`,
    usernameLine,
    '',
    'Sign Up (set your password):',
    input.signUpUrl,
    '',
    `The link works once and expires on ${expires}.`,
    'After setting your password you will log in with your username, your company name and your',
    'password, then set up two-factor authentication with an authenticator app.',
  ].join('\n');
  return { subject: 'Welcome to Gatehouse', html, text };
}

const ROLE_NAMES = { master: 'Master', user: 'User' } as const;

/** The longest name any rule stores (company, display and provider names; usernames are 64). */
export const MAIL_NAME_MAX = 100;

/**
 * A person's free-text name as it may appear in mail sent under the platform's domain:
 * plain text on one line (no control or format characters), at most MAIL_NAME_MAX
 * characters, and nothing link-like, so a mail cannot carry someone's advert or phishing
 * link. Null when nothing safe is left.
 */
export function mailSafeName(name: string | null): string | null {
  if (name === null) return null;
  const plain = name.normalize('NFKC').replace(/[\p{C}]/gu, ' ').replace(/\s+/gu, ' ').trim();
  if (plain === '' || isLinkLike(plain)) return null;
  return plain.length <= MAIL_NAME_MAX ? plain : `${[...plain].slice(0, MAIL_NAME_MAX - 1).join('').trimEnd()}…`;
}

/**
 * How a value a person or a tenant chose (a username, a company, display or provider name)
 * appears in any mail, subject included: as it is when mailSafeName keeps it unchanged
 * (one plain line, nothing link-like), else the stand-in. Names are shown whole or not at
 * all, never altered: people type them back (a company name at login). A provider's
 * answer, a sign-up request or an inviter chooses these, and anyone can then have the
 * platform mail them (a password reset), so no mail under its domain relays a link.
 */
export function shownInMail<T>(value: string | null, standIn: T): string | T {
  return value !== null && mailSafeName(value) === value ? value : standIn;
}

/** shownInMail in HTML: the value in bold, or the stand-in as plain text. */
export function strongInMail(value: string | null, standIn: string): string {
  const shown = shownInMail(value, null);
  return shown === null ? escapeHtml(standIn) : `<strong>${escapeHtml(shown)}</strong>`;
}

/** Where a Sign Up mail sends a reader for a name it leaves out: the page shows it. */
const SHOWN_ON_SIGN_UP = 'Your username is shown on the Sign Up page.';

/** The invite a company's Master sends; the Sign Up link follows the welcome link's rules. */
export function inviteEmail(input: {
  companyName: string;
  username: string;
  role: keyof typeof ROLE_NAMES;
  inviterName: string | null;
  signUpUrl: string;
  expiresAt: Date;
}): RenderedMail {
  const role = ROLE_NAMES[input.role];
  const url = escapeHtml(input.signUpUrl);
  const expires = input.expiresAt.toUTCString();
  const inviter = shownInMail(input.inviterName, null);
  const by = inviter ? `${inviter} has invited you` : 'You have been invited';
  const username = shownInMail(input.username, null);
  const usernameLine = username === null ? SHOWN_ON_SIGN_UP : `Your username is ${username}.`;
  const subject = `You're invited to ${shownInMail(input.companyName, 'a company')} on Gatehouse`;
  const companyName = (standIn: string) => strongInMail(input.companyName, standIn);
  const html = layout(
    subject,
    `<p>${escapeHtml(by)} to join ${companyName('a company')} on Gatehouse as a ${role}.</p>
<p>${username === null ? escapeHtml(usernameLine) : `Your username is <strong>${escapeHtml(username)}</strong>.`} Click <strong>Sign Up</strong> to set your password.</p>
<p style="padding:16px 0"><a href="${url}" style="background:#1c7ed6;color:#ffffff;padding:12px 28px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block">Sign Up</a></p>
<p style="font-size:13px;color:#52606d">The link works once and expires on ${escapeHtml(expires)}. If the button does not work, paste this address into your browser:<br><span style="word-break:break-all">${url}</span></p>
<p style="font-size:13px;color:#52606d">After setting your password you will log in with your username, the company name ${companyName('shown on the Sign Up page')} and your password, then set up two-factor authentication with an authenticator app.</p>
<p style="font-size:13px;color:#52606d">If you did not expect this invitation, you can ignore this email.</p>`,
  );
  const text = [
    subject,
    '',
    `${by} to join ${shownInMail(input.companyName, 'a company')} on Gatehouse as a ${role}.`,
    usernameLine,
    '',
    'Sign Up (set your password):',
    input.signUpUrl,
    '',
    `The link works once and expires on ${expires}.`,
    `After setting your password you will log in with your username, the company name ${shownInMail(input.companyName, 'shown on the Sign Up page')}`,
    'and your password, then set up two-factor authentication with an authenticator app.',
    '',
    'If you did not expect this invitation, you can ignore this email.',
  ].join('\n');
  return { subject, html, text };
}
