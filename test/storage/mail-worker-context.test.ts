// The mail worker woken by a request (deps.mailQueued, after a commit that queued mail)
// does its pass in the worker's own context, not in the request's. A request's context
// carries who it acts for, and every transaction begun in it is checked against that
// actor (src/http/acting-transactions.ts): a pass run there would have its work checked
// against a session that may just have ended (a sign-out everywhere queues its notice),
// and would keep the request's state alive for as long as it runs.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { after, before, test } from 'node:test';
import { createSecretBox, generateSecretKey } from '../../src/crypto/index.ts';
import { createMailWorker, createSmtpTransport, enqueueMail, type MailTransport } from '../../src/mail/index.ts';
import { openStorage, type Storage } from '../../src/storage/index.ts';
import { createTestDatabase, storageSettingsOf, type TestDatabase } from '../helpers/databases.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp.ts';

const secrets = createSecretBox([generateSecretKey()]);
let database: TestDatabase;
let storage: Storage;
let smtp: SmtpCapture;
before(async () => {
  database = await createTestDatabase('sqlite', { migrated: true });
  storage = await openStorage(storageSettingsOf(database));
  smtp = await startSmtpCapture();
});
after(async () => {
  await storage.close();
  await smtp.close();
  await database.drop();
});

test('a pass woken from inside a request runs outside that request’s context, and delivers', async () => {
  const request = new AsyncLocalStorage<string>();
  const smtpTransport = createSmtpTransport(smtp.url);
  const contexts: Array<string | undefined> = [];
  // The real SMTP transport, with a note of the context each send runs in.
  const transport: MailTransport = {
    kind: 'smtp',
    send: (mail) => {
      contexts.push(request.getStore());
      return smtpTransport.send(mail);
    },
    close: () => smtpTransport.close(),
  };
  const worker = createMailWorker({ db: storage.db, secrets, transport, from: 'Gatehouse <noreply@gatehouse.test>', clock: Date.now });
  try {
    await enqueueMail(storage.db, secrets, Date.now(), { companyId: null, to: 'dana@acme.example', subject: 'Welcome to Gatehouse', html: '<p>Sign Up</p>', text: 'Sign Up' });
    request.run('a request acting for Dana', () => worker.poke());
    const delivered = await smtp.waitFor((message) => message.to.includes('dana@acme.example'));
    assert.equal(delivered.subject, 'Welcome to Gatehouse');
    assert.deepEqual(contexts, [undefined]);
  } finally {
    await worker.stop();
  }
});
