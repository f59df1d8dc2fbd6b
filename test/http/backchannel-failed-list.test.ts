// Guards that a back-channel logout notice given up on (FAILED after 20 attempts) stays
// findable for the operator whom gatehouse_outbox_failed{outbox="logout"} alerted:
// docs/OPERATIONS.md sends them to `gatehouse logouts list` for its last error. The list
// shows the 200 newest notices, and delivered ones are kept 30 days: a failed notice behind
// 200 newer deliveries (a busy hour's logouts) was nowhere to be seen, and the list had no
// way to reach it. `--status failed` (pending, sent) reaches it however old, as `gatehouse
// mail list --status failed` does for mail (test/http/mail-failed-list.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enqueueLogoutNotice } from '../../src/modules/backchannel/index.ts';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { cliOf } from '../helpers/cli.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, grantedModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'metrics-token-0123456789abcdefghijklmnop';

interface Listed {
  id: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

for (const engine of await enginesUnderTest()) describe(`a failed logout notice behind newer delivered ones (${engine})`, () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
  let failedId: string;
  before(async () => {
    receiver = await startBackchannelReceiver();
    server = await startTestServer({ engine, quietWorkers: true, env: { GATEHOUSE_METRICS_PORT: '0', GATEHOUSE_METRICS_TOKEN: TOKEN } });
    server.clock.set(Date.now());
    const operator = await signedInOperator(server);
    const acme = await companyWithRootMaster(server, operator.agent, 'Acme Failed Notices');
    const reports = await grantedModule(server, operator.agent, acme.companyId, { name: 'Reports', backchannelLogoutUri: receiver.url('/reports') });
    const ticketing = await grantedModule(server, operator.agent, acme.companyId, { name: 'Ticketing', backchannelLogoutUri: receiver.url('/ticketing') });
    const { db } = server.gatehouse.deps;
    const worker = server.gatehouse.oidc.backchannel;

    // Reports is down for good: its notice is retried 20 times, about five hours, then failed.
    receiver.failNext('/reports', 1_000);
    await enqueueLogoutNotice(db, server.clock(), { companyId: acme.companyId, clientId: reports.module.clientId, accountId: 'acct-reports', sid: 'sid-reports', reason: 'logout' });
    for (let i = 0; i < 20; i++) {
      await worker.runOnce();
      server.clock.advance(31 * 60_000);
    }
    const failed = await db.selectFrom('backchannel_outbox').select(['id', 'status']).where('client_id', '=', reports.module.clientId).executeTakeFirstOrThrow();
    assert.equal(failed.status, 'failed');
    failedId = failed.id;

    // Then the day goes on: 200 logouts delivered to Ticketing.
    for (let i = 0; i < 200; i++) {
      server.clock.advance(1_000);
      await enqueueLogoutNotice(db, server.clock(), { companyId: acme.companyId, clientId: ticketing.module.clientId, accountId: `acct-${i}`, sid: `sid-${i}`, reason: 'logout' });
    }
    while ((await worker.runOnce()) > 0);
    const pending = await db.selectFrom('backchannel_outbox').select('id').where('status', '=', 'pending').execute();
    assert.deepEqual(pending, []);
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  test('the operator alerted by gatehouse_outbox_failed{outbox="logout"} finds the failed notice with `gatehouse logouts list`', async () => {
    const url = server.gatehouse.metricsUrl();
    assert.ok(url);
    const metrics = await (await fetch(url)).text();
    assert.match(metrics, /^gatehouse_outbox_failed\{outbox="logout"\} 1$/m, 'the alert fires');

    const cli = cliOf(server);
    const all = await cli(['logouts', 'list', '--json']);
    assert.equal(all.code, 0, all.stderr);
    const newest = (JSON.parse(all.stdout) as { notices: Listed[] }).notices;
    if (newest.some((n) => n.id === failedId)) return; // shown among the newest: found

    // Not among the 200 newest: the list must still reach it (as `gatehouse mail list --status failed` does for mail).
    const onlyFailed = await cli(['logouts', 'list', '--status', 'failed', '--json']);
    assert.equal(onlyFailed.code, 0, `no way to list the failed notice: ${onlyFailed.stderr.trim() || onlyFailed.stdout.trim()}`);
    const notices = (JSON.parse(onlyFailed.stdout) as { notices: Listed[] }).notices;
    const found = notices.find((n) => n.id === failedId);
    assert.ok(found, 'the failed notice is listed');
    assert.equal(found.status, 'failed');
    assert.match(found.lastError ?? '', /503/);
    assert.ok(notices.every((n) => n.status === 'failed'), 'only failed notices');
  });

  test('the table shows it with its last error; the other statuses filter alike, and an unknown one is refused', async () => {
    const cli = cliOf(server);
    const text = await cli(['logouts', 'list', '--status', 'failed']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /FAILED after 20 attempts/);
    assert.match(text.stdout, new RegExp(`${failedId.slice(0, 8)}.*: last error: .*503`));

    const sent = await cli(['logouts', 'list', '--status', 'sent', '--json']);
    const delivered = (JSON.parse(sent.stdout) as { notices: Listed[] }).notices;
    assert.equal(delivered.length, 200, 'the 200 newest delivered');
    assert.ok(delivered.every((n) => n.status === 'sent'));

    const pending = await cli(['logouts', 'list', '--status', 'pending']);
    assert.equal(pending.code, 0, pending.stderr);
    assert.match(pending.stdout, /No queued or retrying logout notices\./);

    const unknown = await cli(['logouts', 'list', '--status', 'bounced']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--status: use failed, pending or sent/);
  });
});
