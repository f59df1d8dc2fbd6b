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

export function createSmtpTransport(url: string): MailTransport {
  // nodemailer loads with the first mail: a node that sends none never holds it.
  const transporter = onFirstUse(async () => (await import('nodemailer')).default.createTransport({ url, ...SMTP_TIMEOUTS }));
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
        subject: mail.subject,
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
