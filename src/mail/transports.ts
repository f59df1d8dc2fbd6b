// Where delivered mail goes: SMTP in production, or the local mailbox table in the
// embedded default (shown in the operator console and by `gatehouse mail list`).
import { newId } from '../crypto/index.ts';
import { onFirstUse } from '../shared/on-first-use.ts';
import type { Queryable } from '../storage/index.ts';

export interface OutgoingMail {
  outboxId: string;
  companyId: string | null;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'mailbox';
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * How long a send waits on a silent SMTP server, phase by phase (nodemailer's own are up to
 * 10 minutes): a dead server fails the attempt in seconds and the message is retried
 * later, rather than holding its outbox row (whose lease the worker renews meanwhile).
 * Query parameters of GATEHOUSE_SMTP_URL (`?socketTimeout=60000`) take precedence.
 */
const SMTP_TIMEOUTS = { dnsTimeout: 10_000, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** The SMTP commands whose answer is about this one message: its recipient, its content. */
const ABOUT_THE_MESSAGE = new Set(['RCPT TO', 'DATA']);

/**
 * Whether a failed send was refused for good, so that trying it again would be refused
 * again (RFC 5321: a 5yz reply is a permanent negative completion): a 5xx reply to RCPT TO
 * (`550 5.1.1 no such user`) or to DATA and the message's end (`550 5.7.1` content
 * refused), as nodemailer reports it (`responseCode`, and the `command` it answered).
 *
 * Only the replies about this message count. A 5xx to the greeting, EHLO, AUTH or MAIL FROM
 * is just as permanent by the RFC, but it is about the setup (a wrong password, a sender
 * the relay does not accept) and would refuse every message alike: were it final, one
 * configuration mistake would fail every queued mail for good (and erase the bodies)
 * before anyone could fix it. Those stay retried with backoff, like connection errors,
 * timeouts and 4xx replies, and are seen in the mail list's last error. 503 (bad sequence
 * of commands) says the session was in the wrong state, not that the message was refused:
 * retried too.
 */
export function isPermanentRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { responseCode, command, code } = error as { responseCode?: unknown; command?: unknown; code?: unknown };
  if (typeof responseCode !== 'number' || responseCode < 500 || responseCode > 599 || responseCode === 503) return false;
  // nodemailer names a refused envelope EENVELOPE and a refused message EMESSAGE; a
  // dropped connection or a timeout has no reply code at all.
  return typeof command === 'string' && ABOUT_THE_MESSAGE.has(command) && (code === 'EENVELOPE' || code === 'EMESSAGE');
}

/**
 * The subject as header text every mail reader shows as typed. nodemailer encodes a
 * subject only when it holds non-ASCII, and sends text that already reads as an RFC 2047
 * encoded word ("=?utf-8?Q?...?=") as it is, which readers then decode: a name in the
 * subject (a company's, in an invitation) could show a link, a bidi override or another
 * company's name that the name rules refuse as typed. Such a subject is encoded whole
 * here, so the reader decodes it back to the characters typed.
 */
async function subjectShownAsTyped(subject: string): Promise<string> {
  if (!subject.includes('=?')) return subject;
  const { encodeWord } = await import('nodemailer/lib/mime-funcs');
  return encodeWord(subject, 'B', 52);
}

/**
 * One SMTP connection, kept between messages (nodemailer's pool): a pass of the mail worker
 * (up to 20 messages, one after another) greets, negotiates TLS and authenticates once, not
 * once a message, and so do the passes after it while the connection lasts; a server that
 * pauses before its greeting (a check for clients that talk too soon, 100 ms to seconds)
 * pauses once. One connection, because the worker sends one message at a time. It is
 * closed once idle for the socket timeout (30 s, SMTP_TIMEOUTS; RFC 5321 asks servers to
 * wait 5 minutes, so the closing is ours) and when the worker stops; a server that closed
 * it first is met with a new one. A send the connection dropped under fails its
 * attempt, retried by the outbox like any other. Query parameters of GATEHOUSE_SMTP_URL
 * override these too (`?pool=false`: a connection a message).
 */
const SMTP_POOL = { pool: true, maxConnections: 1 } as const;

export function createSmtpTransport(url: string): MailTransport {
  // nodemailer loads with the first mail: a node that sends none never holds it.
  const transporter = onFirstUse(async () => (await import('nodemailer')).default.createTransport({ url, ...SMTP_POOL, ...SMTP_TIMEOUTS }));
  let opened = false;
  return {
    kind: 'smtp',
    async send(mail) {
      opened = true;
      // nodemailer encodes headers itself; CR/LF in names cannot open a new header. The
      // recipient goes as an address object: a string it would parse as a list ("a@x, b@y"
      // is two recipients), where enqueueMail already let only one address in.
      await (await transporter()).sendMail({
        from: mail.from,
        to: { name: '', address: mail.to },
        subject: await subjectShownAsTyped(mail.subject),
        html: mail.html,
        text: mail.text,
        messageId: `<${mail.outboxId}@gatehouse>`,
      });
    },
    close: () => {
      if (opened) void transporter().then((t) => t.close());
    },
  };
}

export function createMailboxTransport(db: Queryable, clock: () => number): MailTransport {
  return {
    kind: 'mailbox',
    async send(mail) {
      await db
        .insertInto('mailbox')
        .values({
          id: newId(),
          outbox_id: mail.outboxId,
          company_id: mail.companyId,
          sender: mail.from,
          recipient: mail.to,
          subject: mail.subject,
          text_body: mail.text,
          html_body: mail.html,
          created_at: clock(),
        })
        // A retried delivery after a crash must not show the message twice.
        .onConflict((oc) => oc.column('outbox_id').doNothing())
        .execute();
    },
    close: () => {},
  };
}
