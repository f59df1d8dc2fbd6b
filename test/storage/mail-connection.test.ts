// Mail goes over one kept SMTP connection (src/mail/transports.ts), not one connection a
// message: a relay greets, negotiates and authenticates once for a pass of the worker and
// the passes after it, as a mail server's operator sees it in its connection log. A
// connection closed, idle past the socket timeout or by the server, is met with a new one;
// a send cut off under it is an attempt failed like any other (the outbox retries it); a
// stopped worker leaves nothing connected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSecretBox, generateSecretKey } from '../../src/crypto/index.ts';
import { createMailWorker, createSmtpTransport, enqueueMail, type MailWorker } from '../../src/mail/index.ts';
import { enginesUnderTest, storageForSuite } from '../helpers/databases.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp.ts';
import { until } from '../helpers/until.ts';

const secrets = createSecretBox([generateSecretKey()]);
const FROM = 'Gatehouse <noreply@gatehouse.test>';

for (const engine of await enginesUnderTest()) {
  describe(`mail over one kept SMTP connection (${engine})`, () => {
    const suite = storageForSuite(engine);
    let now = Date.UTC(2026, 11, 1);
    const clock = () => now;

    let sequence = 0;
    /** Queues a mail to a new address; returns its outbox id and the address. */
    async function queue() {
      const to = `person-${(sequence += 1)}@acme.example`;
      const id = await enqueueMail(suite.storage.db, secrets, now, { companyId: null, to, subject: 'Welcome to Gatehouse', html: '<p>Sign Up</p>', text: 'Sign Up' });
      return { id, to };
    }
    const row = (id: string) => suite.storage.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const copiesTo = (smtp: SmtpCapture, to: string) => smtp.messages.filter((message) => message.to.includes(to));

    async function withWorker(work: (smtp: SmtpCapture, worker: MailWorker) => Promise<void>, options?: { holdAnswers?: boolean; query?: string }) {
      const smtp = await startSmtpCapture(options);
      const worker = createMailWorker({ db: suite.storage.db, secrets, transport: createSmtpTransport(smtp.url + (options?.query ?? '')), from: FROM, clock });
      try {
        await work(smtp, worker);
      } finally {
        await worker.stop();
        await smtp.close();
      }
    }

    test('a pass of several mails is one connection, and the next pass keeps it', () =>
      withWorker(async (smtp, worker) => {
        const first = await Promise.all([queue(), queue(), queue(), queue()]);
        assert.equal(await worker.runOnce(), 4);
        const second = await Promise.all([queue(), queue()]);
        assert.equal(await worker.runOnce(), 2);
        for (const { to } of [...first, ...second]) assert.equal(copiesTo(smtp, to).length, 1, to);
        assert.deepEqual(smtp.connections(), { made: 1, open: 1 });
      }));

    test('`?pool=false` in the SMTP address: a connection a message, none kept', () =>
      withWorker(async (smtp, worker) => {
        await Promise.all([queue(), queue(), queue()]);
        assert.equal(await worker.runOnce(), 3);
        await until(() => smtp.connections().open === 0, 'each connection to close after its message');
        assert.equal(smtp.connections().made, 3);
      }, { query: '?pool=false' }));

    // The two ways a kept connection ends under a node: its own socket timeout (30 s unless
    // `?socketTimeout=` says), or the server closing it (a relay's idle timeout).
    const closings: Array<[string, { query?: string }, (smtp: SmtpCapture) => void]> = [
      ['idle past the socket timeout', { query: '?socketTimeout=3000' }, () => {}],
      ['closed by the server', {}, (smtp) => smtp.dropConnections()],
    ];
    for (const [how, options, close] of closings) {
      test(`a connection ${how} is met with a new one`, () =>
        withWorker(async (smtp, worker) => {
          await queue();
          assert.equal(await worker.runOnce(), 1);
          close(smtp);
          await until(() => smtp.connections().open === 0, 'the connection to close');
          const next = await queue();
          assert.equal(await worker.runOnce(), 1);
          assert.equal(copiesTo(smtp, next.to).length, 1);
          assert.equal((await row(next.id)).status, 'sent');
          assert.equal(smtp.connections().made, 2);
        }, options));
    }

    test('a send cut off under the kept connection fails its attempt into the outbox’s retries, which go on a new one', () =>
      withWorker(async (smtp, worker) => {
        const mail = await queue();
        const pass = worker.runOnce();
        await until(() => smtp.held.length === 1, 'the message to arrive, its answer held');
        smtp.dropConnections(); // the reply is lost: the server had the message
        assert.equal(await pass, 0);
        const failed = await row(mail.id);
        assert.equal(failed.status, 'pending');
        assert.equal(failed.attempts, 1);
        assert.ok(failed.last_error, 'the error is kept for operators');
        assert.ok(failed.next_attempt_at > now, 'retried with the backoff, not at once');
        assert.equal(smtp.connections().made, 1, 'not sent again within the attempt');
        smtp.answerAll();
        now = failed.next_attempt_at;
        assert.equal(await worker.runOnce(), 1, 'the retry delivers');
        assert.equal((await row(mail.id)).status, 'sent');
        // At least once: the copy whose answer was lost and the retry, with one Message-ID,
        // by which a mail system knows the second for the first.
        const copies = copiesTo(smtp, mail.to);
        assert.equal(copies.length, 2);
        assert.equal(copies[0]!.parsed.messageId, copies[1]!.parsed.messageId);
        assert.equal(smtp.connections().made, 2);
      }, { holdAnswers: true }));

    test('a stopped worker leaves no connection open', () =>
      withWorker(async (smtp, worker) => {
        await queue();
        assert.equal(await worker.runOnce(), 1);
        assert.equal(smtp.connections().open, 1);
        await worker.stop();
        await until(() => smtp.connections().open === 0, 'the kept connection to close');
      }));
  });
}
