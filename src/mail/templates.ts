// Email bodies. Every value from a person (company, username) is escaped for HTML, and
// links are built from the configured public URL only, never from a request's Host.
import { escapeHtml } from '../shared/html.ts';

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
  const company = escapeHtml(input.companyName);
  const username = escapeHtml(input.username);
  const url = escapeHtml(input.signUpUrl);
  const expires = input.expiresAt.toUTCString();
  const html = layout(
    'Welcome to Gatehouse',
    `<p>Your company <strong>${company}</strong> now has a Gatehouse account, and you are its Root Master.</p>
<p>Your username is <strong>${username}</strong>. Click <strong>Sign Up</strong> to set your password.</p>
<p style="padding:16px 0"><a href="${url}" style="background:#1c7ed6;color:#ffffff;padding:12px 28px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block">Sign Up</a></p>
<p style="font-size:13px;color:#52606d">The link works once and expires on ${escapeHtml(expires)}. If the button does not work, paste this address into your browser:<br><span style="word-break:break-all">${url}</span></p>
<p style="font-size:13px;color:#52606d">After setting your password you will log in with your username, your company name and your password, then set up two-factor authentication with an authenticator app.</p>`,
  );
  const text = [
    'Welcome to Gatehouse',
    '',
    `Your company ${input.companyName} now has a Gatehouse account, and you are its Root Master.`,
    `Your username is ${input.username}.`,
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

export const MAIL_NAME_MAX = 64;
// Anything a mail client could turn into a link: a scheme, www., an address, a domain.
const LINK_LIKE = /:\/\/|www\.|@|[\p{L}\p{N}-]\.[\p{L}]{2,}/iu;

/**
 * A person's free-text name as it may appear in mail sent under the platform's domain:
 * plain text on one line (no control or format characters), at most 64 characters, and
 * nothing link-like, so an invitation cannot carry someone's advert or phishing link.
 * Null when nothing safe is left; the mail then leaves the name out.
 */
export function mailSafeName(name: string | null): string | null {
  if (name === null) return null;
  const plain = name.normalize('NFKC').replace(/[\p{C}]/gu, ' ').replace(/\s+/gu, ' ').trim();
  if (plain === '' || LINK_LIKE.test(plain)) return null;
  return plain.length <= MAIL_NAME_MAX ? plain : `${[...plain].slice(0, MAIL_NAME_MAX - 1).join('').trimEnd()}…`;
}

/** The invite a company's Master sends; the Sign Up link follows the welcome link's rules. */
export function inviteEmail(input: {
  companyName: string;
  username: string;
  role: keyof typeof ROLE_NAMES;
  inviterName: string | null;
  signUpUrl: string;
  expiresAt: Date;
}): RenderedMail {
  const company = escapeHtml(input.companyName);
  const role = ROLE_NAMES[input.role];
  const url = escapeHtml(input.signUpUrl);
  const expires = input.expiresAt.toUTCString();
  const inviter = mailSafeName(input.inviterName);
  const by = inviter ? `${inviter} has invited you` : 'You have been invited';
  // The inviter chooses the username too: one a mail client would turn into a link
  // ("www.prize.example", an address) is left out, as a link-like inviter name is; the
  // Sign Up page shows it.
  const shownUsername = mailSafeName(input.username) === input.username ? input.username : null;
  const usernameLine = shownUsername === null ? 'Your username is shown on the Sign Up page.' : `Your username is ${shownUsername}.`;
  const html = layout(
    `You're invited to ${input.companyName} on Gatehouse`,
    `<p>${escapeHtml(by)} to join <strong>${company}</strong> on Gatehouse as a ${role}.</p>
<p>${shownUsername === null ? escapeHtml(usernameLine) : `Your username is <strong>${escapeHtml(shownUsername)}</strong>.`} Click <strong>Sign Up</strong> to set your password.</p>
<p style="padding:16px 0"><a href="${url}" style="background:#1c7ed6;color:#ffffff;padding:12px 28px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block">Sign Up</a></p>
<p style="font-size:13px;color:#52606d">The link works once and expires on ${escapeHtml(expires)}. If the button does not work, paste this address into your browser:<br><span style="word-break:break-all">${url}</span></p>
<p style="font-size:13px;color:#52606d">After setting your password you will log in with your username, the company name <strong>${company}</strong> and your password, then set up two-factor authentication with an authenticator app.</p>
<p style="font-size:13px;color:#52606d">If you did not expect this invitation, you can ignore this email.</p>`,
  );
  const text = [
    `You're invited to ${input.companyName} on Gatehouse`,
    '',
    `${by} to join ${input.companyName} on Gatehouse as a ${role}.`,
    usernameLine,
    '',
    'Sign Up (set your password):',
    input.signUpUrl,
    '',
    `The link works once and expires on ${expires}.`,
    `After setting your password you will log in with your username, the company name ${input.companyName}`,
    'and your password, then set up two-factor authentication with an authenticator app.',
    '',
    'If you did not expect this invitation, you can ignore this email.',
  ].join('\n');
  // Names cannot hold control characters, but a subject line is a header: never let one in.
  const subject = `You're invited to ${input.companyName} on Gatehouse`.replace(/[\r\n\p{Cc}]+/gu, ' ');
  return { subject, html, text };
}
