// The mail door takes one address per message: enqueueMail sends nothing to a list, a
// display name, a group or a line break (each would reach a second mailbox, or open a
// header; the message is kept as failed), on both engines; and the SMTP transport hands nodemailer an address object, so even a
// list that got past it is one recipient (refused by the server), never two.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { enginesUnderTest, storageForSuite } from '../../test/helpers/databases.ts';
import { LOOPBACK_SMTP } from '../../test/helpers/smtp.ts';
import { createSecretBox, generateSecretKey } from '../crypto/index.ts';
import { enqueueMail, isOneAddress } from './outbox.ts';
import { createSmtpTransport } from './transports.ts';

const secrets = createSecretBox([generateSecretKey()]);
const body = { companyId: null, subject: 'Reset your Gatehouse password', html: '<p>link</p>', text: 'link' };

const NOT_ONE_ADDRESS = [
  'uma@corp.test, collector@evil.test',
  'uma@corp.test,collector@evil.test',
  'uma@corp.test;collector@evil.test',
  'uma@corp.test collector@evil.test',
  'uma@corp.test\r\nBcc: collector@evil.test',
  'uma@corp.test\ncollector@evil.test',
  'uma@corp.test\r\n',
  ' uma@corp.test',
  'Uma <uma@corp.test>',
  '<collector@evil.test>',
  'a: collector@evil.test;',
  'friends: uma@corp.test, collector@evil.test;',
  '"uma,collector"@corp.test',
  'uma',
];

test('one address is one address; a list, a name, a group or a line break is not', () => {
  for (const to of ['uma@corp.test', "o'neil@corp.test", 'a+tag@sub.corp.test']) assert.equal(isOneAddress(to), true, to);
  for (const to of NOT_ONE_ADDRESS) assert.equal(isOneAddress(to), false, JSON.stringify(to));
});

for (const engine of await enginesUnderTest()) describe(`enqueueMail's recipient (${engine})`, () => {
  const suite = storageForSuite(engine);
  const outbox = () => suite.storage.db.selectFrom('outbox').select(['recipient', 'status', 'payload', 'last_error']).execute();

  test('anything but one address is kept as failed, with nothing to send', async () => {
    for (const to of NOT_ONE_ADDRESS) await enqueueMail(suite.storage.db, secrets, 1, { ...body, to });
    const rows = await outbox();
    assert.equal(rows.length, NOT_ONE_ADDRESS.length);
    for (const row of rows) {
      assert.equal(row.status, 'failed', JSON.stringify(row.recipient));
      assert.equal(row.payload, null, `nothing of the message is kept for ${JSON.stringify(row.recipient)}`);
      assert.match(row.last_error ?? '', /not one email address/);
    }
    await suite.storage.db.deleteFrom('outbox').execute();
  });

  test('one address is queued; the empty address of a user without one is kept as failed, with nothing to send', async () => {
    await enqueueMail(suite.storage.db, secrets, 1, { ...body, to: 'uma@corp.test' });
    await enqueueMail(suite.storage.db, secrets, 2, { ...body, to: '' });
    const rows = (await outbox()).map((row) => ({ ...row, payload: row.payload === null ? null : 'sealed' }));
    assert.deepEqual(
      rows.sort((a, b) => a.recipient.localeCompare(b.recipient)),
      [
        { recipient: '', status: 'failed', payload: null, last_error: 'the user has no email address' },
        { recipient: 'uma@corp.test', status: 'pending', payload: 'sealed', last_error: null },
      ],
    );
  });
});

describe('the SMTP transport', () => {
  const envelopes: string[][] = [];
  let smtp: SMTPServer;
  let port = 0;
  before(async () => {
    smtp = new SMTPServer({
      ...LOOPBACK_SMTP,
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          envelopes.push(session.envelope.rcptTo.map((r) => r.address));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    port = (smtp.server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

  test('hands nodemailer one address, never a string it would read as a list', async () => {
    const transport = createSmtpTransport(`smtp://127.0.0.1:${port}`);
    const mail = { outboxId: 'x', companyId: null, from: 'Gatehouse <noreply@gatehouse.test>', subject: 'S', html: '<p>x</p>', text: 'x' };
    await transport.send({ ...mail, to: 'uma@corp.test' });
    // Past enqueueMail's guard (an older row): one odd recipient or a refusal, never two.
    await transport.send({ ...mail, to: 'uma@corp.test, collector@evil.test' }).catch(() => {});
    transport.close();
    assert.deepEqual(envelopes[0], ['uma@corp.test']);
    assert.ok(envelopes.slice(1).every((rcpt) => rcpt.length === 1 && !rcpt.includes('collector@evil.test')), JSON.stringify(envelopes));
  });
});
