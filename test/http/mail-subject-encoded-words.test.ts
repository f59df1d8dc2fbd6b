// A name in a mail's subject is shown as it was typed. A company name that reads as an
// RFC 2047 encoded word ("=?utf-8?Q?...?=") passes the name rules and shownInMail as typed
// (no "://", "@", dot or format character), and nodemailer sent such text as it was,
// taking it for a word already encoded: every mail reader decoded it and showed what it
// carried (a link, a bidi override, another company's name) in the subject of a mail sent
// under the platform's domain, to any address a Master of that company invites. Such a
// subject is now encoded whole (subjectShownAsTyped, src/mail/transports.ts), so the
// reader shows the characters typed; each variant below (Q and B encodings, either case,
// another charset) is read back as typed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { operatorAgent } from '../helpers/company-admin.ts';
import { invitationFrom } from '../helpers/invitation-mail.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { isLinkLike } from '../../src/mail/link-like.ts';

let server: TestServer;
let operator: Agent;
before(async () => {
  server = await startTestServer();
  operator = await operatorAgent(server);
});
after(() => server.close());

/** The subject of the invitation a company's Root Master sends, as the recipient's mail reader shows it. */
async function invitationSubjectShown(companyName: string, n: number) {
  const mail = await invitationFrom(server, operator, companyName, n);
  // mailparser decodes RFC 2047 words as every mail client does.
  return { shown: mail.subject, header: /^Subject:.*(?:\r\n[ \t].*)*/m.exec(mail.raw)?.[0] };
}

const allowed = (companyName: string) => [`You're invited to ${companyName} on Gatehouse`, "You're invited to a company on Gatehouse"];

test('an encoded word in a company name does not carry a link into the invitation subject a mail reader shows', async () => {
  // Decodes to "Verify at https://evil.example"; as typed it has nothing link-like.
  const companyName = '=?utf-8?Q?Verify_at_https=3A=2F=2Fevil=2Eexample?=';
  assert.ok(!isLinkLike(companyName), 'the name as stored passes the mail rule');
  const { shown, header } = await invitationSubjectShown(companyName, 1);
  assert.ok(!isLinkLike(shown), `subject shown to the recipient: ${shown}\nraw header: ${header}`);
  assert.ok(allowed(companyName).includes(shown), `the subject shows the stored name or the stand-in, not: ${shown}`);
});

test('an encoded word in a company name does not put a bidi override into the invitation subject', async () => {
  // Decodes to "Acme <U+202E>moc" (a right-to-left override): refused by every name rule when typed as such.
  const companyName = '=?utf-8?Q?Acme_=E2=80=AEmoc?=';
  const { shown, header } = await invitationSubjectShown(companyName, 2);
  assert.doesNotMatch(shown, /\p{Cf}/u, `subject shown to the recipient: ${JSON.stringify(shown)}\nraw header: ${header}`);
  assert.ok(allowed(companyName).includes(shown), `the subject shows the stored name or the stand-in, not: ${JSON.stringify(shown)}`);
});

test('encoded words of every spelling in a company name are shown as typed', async () => {
  const variants = [
    '=?UTF-8?B?VmVyaWZ5IGF0IGh0dHBzOi8vZXZpbC5leGFtcGxl?=', // B: "Verify at https://evil.example"
    '=?iso-8859-1?q?Acme_Payroll_Inc?=',
    'Acme =?utf-8?Q?=E2=80=AE?= Payroll',
    '=?utf-8*en?Q?Other_Company?=', // RFC 2231 language tag
  ];
  for (const [index, companyName] of variants.entries()) {
    const { shown, header } = await invitationSubjectShown(companyName, 10 + index);
    assert.equal(shown, `You're invited to ${companyName} on Gatehouse`, `raw header: ${header}`);
  }
});
