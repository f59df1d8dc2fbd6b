// Every mail the platform sends, rendered with link-like text in every field a person or
// a tenant chose (username, company, display and provider names): none of it reaches the
// subject, the text or the HTML (isLinkLike, the invite's rule), while the links Gatehouse
// builds itself stay. A template added to the mail door fails here until it is listed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as mailDoor from './index.ts';
import { isLinkLike } from './link-like.ts';
import { escapeHtml, type RenderedMail } from './templates.ts';

const LINK_LIKE_VALUES = [
  'https://evil.example/verify',
  'www.evil-example',
  'boss@evil.example',
  'evil-example.com',
  'Win a prize at evil.example now',
  'ｅｖｉｌ．ｃｏｍ',
  'hxxp://x',
  // What an address bar opens: the full stops a browser reads as ".", an IP address.
  'secure-login\u3002example',
  'secure-login\uFF61example',
  '203.0.113.7/reset',
  'evil\u0332.com',
  'evil_.com',
];
// "carol.smith" reads as a domain to a mail client (l.sm): mail leaves such a username out too.
const PLAIN = { companyName: 'Acme Holding', username: 'carol_smith', displayName: 'Carol Smith', providerName: 'Acme Okta' };

// Links Gatehouse builds from its own public URL, and the one address a template must name.
const URL = 'https://gatehouse.test/reset-password/TOKEN';
const NEW_EMAIL = 'carol@new-mail.test';
const expiresAt = new Date(Date.UTC(2026, 0, 1));

type Chosen = typeof PLAIN;
const TEMPLATES: Record<string, (v: Chosen) => RenderedMail[]> = {
  welcomeEmail: (v) => [mailDoor.welcomeEmail({ companyName: v.companyName, username: v.username, signUpUrl: URL, expiresAt })],
  inviteEmail: (v) =>
    (['master', 'user'] as const).map((role) =>
      mailDoor.inviteEmail({ companyName: v.companyName, username: v.username, role, inviterName: v.displayName, signUpUrl: URL, expiresAt }),
    ),
  passwordResetEmail: (v) => [mailDoor.passwordResetEmail({ companyName: v.companyName, username: v.username, resetUrl: URL, expiresAt })],
  passwordManagedEmail: (v) => [mailDoor.passwordManagedEmail({ companyName: v.companyName, username: v.username, providerName: v.providerName })],
  confirmEmailChangeEmail: (v) => [mailDoor.confirmEmailChangeEmail({ companyName: v.companyName, username: v.username, confirmUrl: URL, expiresAt })],
  emailChangeNoticeEmail: (v) => [mailDoor.emailChangeNoticeEmail({ companyName: v.companyName, username: v.username, newEmail: NEW_EMAIL, cancelUrl: URL, expiresAt })],
  enrollmentCodeEmail: (v) => [mailDoor.enrollmentCodeEmail({ companyName: v.companyName, username: v.username, code: '042917', minutes: 10 })],
  companyNamesEmail: (v) => [
    mailDoor.companyNamesEmail({ accounts: [{ companyName: v.companyName, username: v.username }, { companyName: PLAIN.companyName, username: PLAIN.username }] }),
  ],
  securityNoticeEmail: (v) =>
    mailDoor.SECURITY_CHANGE_KINDS.flatMap((change) => [
      mailDoor.securityNoticeEmail({ companyName: v.companyName, username: v.username, change }),
      mailDoor.securityNoticeEmail({ companyName: v.companyName, username: v.username, change, by: { username: v.displayName }, at: expiresAt }),
    ]),
  companyNoticeEmail: (v) =>
    mailDoor.COMPANY_CHANGE_KINDS.flatMap((change) => [
      mailDoor.companyNoticeEmail({ companyName: v.companyName, username: v.username, change, subject: v.providerName, by: { username: v.displayName }, at: expiresAt }),
      mailDoor.companyNoticeEmail({ companyName: v.companyName, username: v.username, change, subject: v.displayName, by: { apiClientName: v.providerName }, at: expiresAt }),
    ]),
};

/** The mail with what Gatehouse itself put in (its links, the new address) taken out. */
const personal = (part: string) => [URL, escapeHtml(URL), NEW_EMAIL].reduce((rest, own) => rest.replaceAll(own, ''), part);

test('every template of the mail door is listed here', () => {
  const templates = Object.keys(mailDoor).filter((name) => name.endsWith('Email')).sort();
  assert.deepEqual(templates, Object.keys(TEMPLATES).sort());
});

test('with plain names, every template shows them, and nothing of its own is link-like', () => {
  for (const [name, render] of Object.entries(TEMPLATES)) {
    for (const mail of render(PLAIN)) {
      for (const part of [mail.subject, mail.text, mail.html]) assert.ok(!isLinkLike(personal(part)), `${name}: ${part}`);
      assert.ok(mail.text.includes(PLAIN.companyName) && mail.text.includes(PLAIN.username), `${name}: ${mail.text}`);
    }
  }
});

test('no link-like text a person or a tenant chose reaches a subject, a text or an HTML body', () => {
  for (const value of LINK_LIKE_VALUES) {
    // Each field alone, then all at once.
    const variants: Chosen[] = [...(Object.keys(PLAIN) as Array<keyof Chosen>).map((field) => ({ ...PLAIN, [field]: value })), { companyName: value, username: value, displayName: value, providerName: value }];
    for (const chosen of variants) {
      for (const [name, render] of Object.entries(TEMPLATES)) {
        for (const mail of render(chosen)) {
          for (const [where, part] of Object.entries(mail)) {
            assert.ok(!isLinkLike(personal(part as string)), `${name} ${where} with ${JSON.stringify(chosen)}:\n${part as string}`);
          }
        }
      }
    }
  }
});

test('a name longer than mail shows, or on two lines, is left out whole, never cut or joined', () => {
  const long = `Acme ${'Holding '.repeat(20)}`.trim();
  for (const companyName of [long, 'Acme\nBcc: x', 'Acme\u202eevil']) {
    const mail = mailDoor.passwordResetEmail({ companyName, username: 'carol', resetUrl: URL, expiresAt });
    assert.ok(mail.text.includes('carol at your company'), mail.text);
    for (const part of [mail.subject, mail.text, mail.html]) assert.ok(!part.includes('Acme'), part);
  }
});
