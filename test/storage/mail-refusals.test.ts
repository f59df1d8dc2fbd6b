// An SMTP server's permanent refusal of a message (RFC 5321: a 5yz reply) once cost about
// a day of retries (55 attempts), the encrypted body with its live link kept all along. A
// 5xx to RCPT TO or DATA now fails the message at once, its body erased and the server's
// answer kept; a 4xx is retried as before, and so is a 5xx to MAIL FROM: that one is about
// the setup (src/mail/transports.ts, isPermanentRefusal), not this message. The server is
// a real one on loopback, scripted to answer each command as the test says.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createSecretBox, generateSecretKey } from '../../src/crypto/index.ts';
import { createMailWorker, createSmtpTransport, enqueueMail } from '../../src/mail/index.ts';
import { openStorage, type Storage } from '../../src/storage/index.ts';
import { createTestDatabase, enginesUnderTest, storageSettingsOf, type TestDatabase } from '../helpers/databases.ts';
import { scriptedSmtp } from '../helpers/smtp-scripted.ts';

const secrets = createSecretBox([generateSecretKey()]);

for (const engine of await enginesUnderTest()) {
  describe(`permanent SMTP refusals (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    let smtp: Awaited<ReturnType<typeof scriptedSmtp>>;
    let now = Date.UTC(2026, 11, 1);
    const clock = () => now;
    before(async () => {
      database = await createTestDatabase(engine);
      storage = await openStorage(storageSettingsOf(database));
      smtp = await scriptedSmtp();
    });
    after(async () => {
      await storage.close();
      await smtp.close();
      await database.drop();
    });
    beforeEach(() => smtp.answer({}));

    const row = (id: string) => storage.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const queue = (to: string) => enqueueMail(storage.db, secrets, now, { companyId: null, to, subject: 'Reset your Gatehouse password', html: '<p>Reset</p>', text: 'Reset' });
    const rcptsTo = (to: string) => smtp.seen.filter((s) => s.step === 'rcpt' && s.to === to).length;
    /** One worker pass, then every later pass a day of backoff could bring. */
    async function deliverThenRetryForADay(to: string) {
      const worker = createMailWorker({ db: storage.db, secrets, transport: createSmtpTransport(smtp.url), from: 'Gatehouse <noreply@gatehouse.test>', clock });
      const id = await queue(to);
      await worker.runOnce();
      const first = await row(id);
      now += 24 * 3_600_000;
      await worker.runOnce();
      await worker.stop();
      return { id, first };
    }

    test('550 to RCPT TO: failed after one attempt, body erased, the answer kept, never tried again', async () => {
      smtp.answer({ rcpt: { code: 550, text: '5.1.1 no such user' } });
      const { id, first } = await deliverThenRetryForADay('gone@acme.example');
      assert.deepEqual([first.status, first.attempts, first.payload], ['failed', 1, null]);
      assert.match(first.last_error ?? '', /550 5\.1\.1 no such user/);
      assert.deepEqual(await row(id), first, 'a day later the row is as it was');
      assert.equal(rcptsTo('gone@acme.example'), 1, 'the server was asked once');
    });

    test('550 to the message (DATA): failed at once too', async () => {
      smtp.answer({ data: { code: 550, text: '5.7.1 message refused' } });
      const { first } = await deliverThenRetryForADay('spamfiltered@acme.example');
      assert.deepEqual([first.status, first.attempts, first.payload], ['failed', 1, null]);
      assert.match(first.last_error ?? '', /550 5\.7\.1 message refused/);
      assert.equal(rcptsTo('spamfiltered@acme.example'), 1);
    });

    test('451 to RCPT TO is retried with its body, and delivered once the server takes it', async () => {
      smtp.answer({ rcpt: { code: 451, text: '4.3.0 try again later' } });
      const worker = createMailWorker({ db: storage.db, secrets, transport: createSmtpTransport(smtp.url), from: 'Gatehouse <noreply@gatehouse.test>', clock });
      const id = await queue('busy@acme.example');
      await worker.runOnce();
      const first = await row(id);
      assert.deepEqual([first.status, first.attempts], ['pending', 1]);
      assert.ok(first.payload, 'the body waits for the next attempt');
      assert.match(first.last_error ?? '', /451 4\.3\.0 try again later/);
      smtp.answer({});
      now = first.next_attempt_at;
      await worker.runOnce();
      const second = await row(id);
      assert.deepEqual([second.status, second.attempts, second.payload], ['sent', 2, null]);
      await worker.stop();
    });

    test('a 5xx to MAIL FROM (the setup, not the message) is retried: fixing the setup delivers the mail', async () => {
      smtp.answer({ mail: { code: 553, text: '5.7.1 sender not allowed' } });
      const worker = createMailWorker({ db: storage.db, secrets, transport: createSmtpTransport(smtp.url), from: 'Gatehouse <noreply@gatehouse.test>', clock });
      const id = await queue('waiting@acme.example');
      await worker.runOnce();
      const first = await row(id);
      assert.deepEqual([first.status, first.attempts], ['pending', 1]);
      assert.ok(first.payload);
      assert.match(first.last_error ?? '', /553 5\.7\.1 sender not allowed/);
      smtp.answer({});
      now = first.next_attempt_at;
      await worker.runOnce();
      assert.equal((await row(id)).status, 'sent');
      await worker.stop();
    });
  });
}
