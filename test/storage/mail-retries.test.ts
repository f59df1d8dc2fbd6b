// The mail outbox's delivery discipline (src/storage/leased-jobs.ts), over real SMTP: a
// refused connection is retried later with its error kept; the last attempt gives up and
// erases the body (it can hold a live link); a delivery marks the row sent and erases it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSecretBox, generateSecretKey } from '../../src/crypto/index.ts';
import { createMailWorker, createSmtpTransport, enqueueMail } from '../../src/mail/index.ts';
import { MAX_ATTEMPTS } from '../../src/mail/outbox.ts';
import { enginesUnderTest, storageForSuite } from '../helpers/databases.ts';
import { freePort } from '../helpers/net.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp.ts';

const secrets = createSecretBox([generateSecretKey()]);
const mail = { companyId: null, to: 'dana@acme.example', subject: 'Welcome to Gatehouse', html: '<p>Sign Up</p>', text: 'Sign Up' };

for (const engine of await enginesUnderTest()) {
  describe(`mail retries (${engine})`, () => {
    const suite = storageForSuite(engine);
    let smtp: SmtpCapture;
    let now = Date.UTC(2026, 11, 1);
    const clock = () => now;
    before(async () => {
      smtp = await startSmtpCapture();
    });
    after(() => smtp.close());
    const row = (id: string) => suite.storage.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    test('a refused connection is retried later, then given up with the body erased', async () => {
      const id = await enqueueMail(suite.storage.db, secrets, now, mail);
      const closed = createMailWorker({ db: suite.storage.db, secrets, transport: createSmtpTransport(`smtp://127.0.0.1:${await freePort()}`), from: 'Gatehouse <noreply@gatehouse.test>', clock });
      assert.equal(await closed.runOnce(), 0);
      const first = await row(id);
      assert.equal(first.status, 'pending');
      assert.equal(first.attempts, 1);
      assert.ok(first.last_error, 'the error is kept for operators');
      assert.ok(first.payload, 'the body waits for the next attempt');
      assert.ok(first.next_attempt_at > now, 'not again at once');
      assert.equal(await closed.runOnce(), 0, 'nothing due before its time');
      assert.equal((await row(id)).attempts, 1);

      await suite.storage.db.updateTable('outbox').set({ attempts: MAX_ATTEMPTS - 1 }).where('id', '=', id).execute();
      now = first.next_attempt_at;
      await closed.runOnce();
      const last = await row(id);
      assert.equal(last.status, 'failed');
      assert.equal(last.payload, null);
      await closed.stop();
    });

    test('a delivery is marked sent once and its body erased', async () => {
      const id = await enqueueMail(suite.storage.db, secrets, now, { ...mail, to: 'lee@acme.example' });
      const worker = createMailWorker({ db: suite.storage.db, secrets, transport: createSmtpTransport(smtp.url), from: 'Gatehouse <noreply@gatehouse.test>', clock });
      assert.equal(await worker.runOnce(), 1);
      const sent = await row(id);
      assert.equal(sent.status, 'sent');
      assert.equal(sent.payload, null);
      assert.equal(sent.last_error, null);
      await smtp.waitFor((message) => message.to.includes('lee@acme.example'));
      assert.equal(await worker.runOnce(), 0, 'never sent twice');
      await worker.stop();
    });
  });
}
