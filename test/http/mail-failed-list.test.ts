// Operators once saw only the 200 newest messages (GET /api/operator/mail, `gatehouse mail
// list`), and the metrics counted only pending ones: a message that failed for good behind
// 200 newer ones was nowhere to be seen and raised no alert. The list now takes a status
// (`failed`) that reaches it however old, and gatehouse_outbox_failed counts it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enqueueMail } from '../../src/mail/index.ts';
import { cliOf } from '../helpers/cli.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'metrics-token-0123456789abcdefghijklmnop';

interface Listed {
  id: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

async function failedGauge(server: TestServer): Promise<number> {
  const url = server.gatehouse.metricsUrl();
  assert.ok(url);
  const text = await (await fetch(url)).text();
  const line = /^gatehouse_outbox_failed\{outbox="mail"\} (\d+)$/m.exec(text);
  assert.ok(line, 'the gauge is reported');
  return Number(line[1]);
}

for (const engine of await enginesUnderTest()) describe(`failed mail behind newer mail (${engine})`, () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  let failed: string;
  before(async () => {
    server = await startTestServer({ engine, quietWorkers: true, env: { GATEHOUSE_METRICS_PORT: '0', GATEHOUSE_METRICS_TOKEN: TOKEN } });
    operator = await signedInOperator(server);
    const queue = (to: string) =>
      enqueueMail(server.gatehouse.deps.db, server.gatehouse.deps.secrets, server.clock(), { companyId: null, to, subject: 'Reset your Gatehouse password', html: '<p>x</p>', text: 'x' });
    // A user without an email address: the message is kept as failed, with the reason.
    failed = await queue('');
    for (let i = 0; i < 200; i++) {
      server.clock.advance(1_000);
      await queue(`newer${i}@acme.example`);
    }
  });
  after(() => server.close());

  const list = async (query: string) => {
    const answer = await operator.agent.get(`/api/operator/mail${query}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return (answer.body as { messages: Listed[] }).messages;
  };

  test('the newest 200 do not hold it; ?status=failed does, with its attempts and last error', async () => {
    const newest = await list('');
    assert.equal(newest.length, 200);
    assert.ok(!newest.some((m) => m.id === failed));

    const onlyFailed = await list('?status=failed');
    const found = onlyFailed.find((m) => m.id === failed);
    assert.ok(found, 'the failed message is listed');
    assert.equal(found.attempts, 0);
    assert.match(found.lastError ?? '', /no email address/);
    assert.ok(onlyFailed.every((m) => m.status === 'failed'));
    assert.ok((await list('?status=pending')).every((m) => m.status === 'pending'));
    assert.equal((await operator.agent.get('/api/operator/mail?status=bounced')).status, 400);
  });

  test('gatehouse mail list --status failed shows it too', async () => {
    const run = await cliOf(server)(['mail', 'list', '--status', 'failed', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const messages = (JSON.parse(run.stdout) as { messages: Listed[] }).messages;
    assert.ok(messages.some((m) => m.id === failed));
    assert.ok(messages.every((m) => m.status === 'failed'));
  });

  test('gatehouse_outbox_failed counts it', async () => {
    // A fresh database: this is its only failed message.
    assert.equal(await failedGauge(server), 1);
  });
});
