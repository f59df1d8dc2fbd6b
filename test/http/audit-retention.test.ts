// The audit trail's retention (GATEHOUSE_AUDIT_RETENTION_DAYS): each node's housekeeping
// deletes the events from before the start (UTC) of the day that many days ago, and the
// trail records that it did (audit.retention_swept), so its missing part has a reason.
// What is newer stays in the operators' and the Masters' views; a backlog larger than one
// statement's share goes in one sweep, a bounded DELETE at a time. A backlog larger than
// one pass's share never holds up a sign-out: the pass delivers the module's back-channel
// logout, deletes its share, and the next passes take the rest, the sweep recorded hour by
// hour while it lasts. Unset, nothing is ever deleted; a value below 30 days, or not a
// whole number, refuses to start. The sweep is driven as production drives it: the passes
// of the node's back-channel worker, after the test clock has moved. Both databases.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AUDIT_EVENTS_PER_DELETE, AUDIT_EVENTS_PER_PASS } from '../../src/audit/retention.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import type { Agent, Answer } from '../helpers/agent.ts';
import { padAuditTrail } from '../helpers/audit-padding.ts';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { companyWithRootMaster, logInAgain, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { grantedModule, signInToModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const DAY_MS = 86_400_000;

interface Event {
  id: number;
  time: string;
  companyId: string | null;
  actor: unknown;
  action: string;
  detail: Record<string, unknown> | null;
}

/** Every event the agent's view holds, page after page. */
async function trail(agent: Agent, path: '/api/operator/audit' | '/api/company/audit'): Promise<Event[]> {
  const events: Event[] = [];
  let cursor: string | null = null;
  do {
    const answer: Answer = await agent.get(`${path}?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    events.push(...(answer.body.events as Event[]));
    cursor = answer.body.nextCursor;
  } while (cursor);
  return events;
}

/**
 * The node's housekeeping, as its worker runs it every second: twice, so that a pass the
 * worker's own timer began before the clock moved is not the only one awaited.
 */
async function housekeeping(server: TestServer) {
  await server.gatehouse.oidc.backchannel.runOnce();
  await server.gatehouse.oidc.backchannel.runOnce();
}

/** The operator and a company with its Root Master, signed in now (the trail's oldest part). */
async function startedPortal(server: TestServer) {
  const operator = await signedInOperator(server);
  const acme = await companyWithRootMaster(server, operator.agent, 'Acme Retention', 'root@retention.test');
  const platform: SignedInCompany = { companyId: '', companyName: operator.companyName, root: { id: '', username: operator.username, agent: operator.agent, totpSecret: operator.totpSecret } };
  return { platform, acme };
}

async function wrongPassword(server: TestServer, company: SignedInCompany) {
  const agent = server.agent();
  assert.equal((await agent.post('/api/login/identify', { username: company.root.username, companyName: company.companyName })).status, 200);
  assert.equal((await agent.post('/api/login/password', { password: 'Not-The-Password-1!' })).status, 401);
}

for (const engine of await enginesUnderTest()) {
  describe(`audit retention of 30 days (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ engine, env: { GATEHOUSE_AUDIT_RETENTION_DAYS: '30' } });
    });
    after(() => server.close());

    test('events from before the cutoff day go, in one recorded sweep; newer ones stay in every view', async () => {
      const { platform, acme } = await startedPortal(server);
      const startedAt = server.clock();
      // A backlog from before the setting, more than two statements' worth: one sweep takes it all.
      const backlog = 2 * AUDIT_EVENTS_PER_DELETE + 37;
      const rows = Array.from({ length: backlog }, (_, i) => ({ company_id: acme.companyId, actor_id: null, action: 'test.backlog', target: String(i), created_at: startedAt - (i + 1) * 1000 }));
      for (let at = 0; at < backlog; at += 500) await server.gatehouse.deps.db.insertInto('audit_events').values(rows.slice(at, at + 500)).execute();
      server.clock.advance(20 * DAY_MS);
      await wrongPassword(server, acme); // 20 days old at the sweep: kept
      const failedAt = server.clock();
      // The whole trail while nothing in it is past the retention yet.
      let operator: Person = await logInAgain(server, platform, platform.root);
      const whole = await trail(operator.agent, '/api/operator/audit');

      // The node's worker sweeps on its own once the clock has moved; this waits for it.
      server.clock.advance(11 * DAY_MS);
      await housekeeping(server);
      const cutoff = Math.floor(server.clock() / DAY_MS) * DAY_MS - 30 * DAY_MS;
      assert.ok(startedAt < cutoff && failedAt >= cutoff, 'the test straddles the cutoff');
      const old = whole.filter((e) => Date.parse(e.time) < cutoff);
      assert.ok(old.length >= backlog + 5, `the first month's events and the backlog were there before the sweep (${old.length})`);

      operator = await logInAgain(server, platform, operator);
      const kept = await trail(operator.agent, '/api/operator/audit');
      assert.deepEqual(kept.filter((e) => Date.parse(e.time) < cutoff), [], 'nothing older than the cutoff is left');
      assert.ok(kept.some((e) => e.action === 'login.failed' && e.companyId === acme.companyId && Date.parse(e.time) === failedAt), 'the newer failure stays');
      const swept = kept.filter((e) => e.action === 'audit.retention_swept');
      assert.equal(swept.length, 1, 'one sweep, one event');
      assert.deepEqual(
        { companyId: swept[0]?.companyId, actor: swept[0]?.actor, detail: swept[0]?.detail },
        { companyId: null, actor: null, detail: { deleted: old.length, before: new Date(cutoff).toISOString(), retentionDays: 30, caughtUp: true } },
      );

      // The company's Master sees the newer part of the company's trail, and no older one.
      const root = await logInAgain(server, acme, acme.root);
      const company = await trail(root.agent, '/api/company/audit');
      assert.ok(company.some((e) => e.action === 'login.failed' && Date.parse(e.time) === failedAt));
      assert.deepEqual(company.filter((e) => Date.parse(e.time) < cutoff), []);

      // Later the same day there is nothing more to delete, and nothing more is recorded.
      server.clock.advance(2 * 3_600_000);
      await housekeeping(server);
      const later = await trail((await logInAgain(server, platform, operator)).agent, '/api/operator/audit');
      assert.equal(later.filter((e) => e.action === 'audit.retention_swept').length, 1);
    });
  });

  describe(`audit retention over a backlog, with sign-outs to deliver (${engine})`, () => {
    let server: TestServer;
    let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
    before(async () => {
      receiver = await startBackchannelReceiver();
      // The worker does not run by itself here: the test runs its passes, one at a time.
      server = await startTestServer({ engine, env: { GATEHOUSE_AUDIT_RETENTION_DAYS: '30' }, quietWorkers: true });
      // On the wall clock, so TOTP codes and the provider's own times agree.
      server.clock.set(Date.now());
    });
    after(async () => {
      await server.close();
      await receiver.close();
    });

    const pass = () => server.gatehouse.oidc.backchannel.runOnce();
    const cutoffAt = (now: number) => new Date(Math.floor(now / DAY_MS) * DAY_MS - 30 * DAY_MS).toISOString();
    /** What the operator's view shows of one action, newest first (at most 500). */
    const shown = async (operator: Agent, action: string) => (await operator.get(`/api/operator/audit?action=${action}&limit=500`)).body.events as Event[];

    test("a sign-out reaches the module in the first pass; the backlog goes over the next passes, recorded hour by hour", async () => {
      const { platform, acme } = await startedPortal(server);
      const ticketing = await grantedModule(server, platform.root.agent, acme.companyId, { name: 'Ticketing', backchannelLogoutUri: receiver.url('/ticketing/backchannel') });
      const { claims } = await signInToModule(ticketing.config, acme.root.agent);
      // A retention set over a trail with years in it: two passes' shares and part of a third.
      const backlog = 2 * AUDIT_EVENTS_PER_PASS + 500;
      await padAuditTrail(server, acme.companyId, { events: backlog, at: server.clock() - 400 * DAY_MS, action: 'test.backlog', small: true });
      assert.equal((await acme.root.agent.post('/api/logout')).status, 200);

      // The first pass: the module hears of the sign-out, and only a share of the backlog goes.
      const firstAt = server.clock();
      await pass();
      assert.ok(receiver.received.some((n) => n.accepted && n.path === '/ticketing/backchannel' && n.payload.sub === claims.sub && n.payload.sid === claims.sid), 'the sign-out is delivered in the first pass');
      let operator = await logInAgain(server, platform, platform.root);
      assert.equal((await shown(operator.agent, 'test.backlog')).length, 500, 'most of the backlog is still there after that pass');

      // An hour on, the sweep records how far it got and the next one goes on at once, a
      // share a pass, until nothing past the retention is left.
      server.clock.advance(3_600_000);
      operator = await logInAgain(server, platform, operator);
      const secondAt = server.clock();
      let passes = 0;
      do {
        await pass();
        passes += 1;
      } while (passes < 5 && (await shown(operator.agent, 'test.backlog')).length > 0);
      assert.equal(passes, 2, 'two more passes took the rest');
      const swept = (await shown(operator.agent, 'audit.retention_swept')).map((e) => e.detail);
      assert.deepEqual(swept, [
        { deleted: backlog - AUDIT_EVENTS_PER_PASS, before: cutoffAt(secondAt), retentionDays: 30, caughtUp: true },
        { deleted: AUDIT_EVENTS_PER_PASS, before: cutoffAt(firstAt), retentionDays: 30, caughtUp: false },
      ]);

      // Caught up, it sweeps hourly again: an event past the retention now waits for the hour.
      await padAuditTrail(server, acme.companyId, { events: 1, at: server.clock() - 400 * DAY_MS, action: 'test.straggler', small: true });
      await pass();
      assert.equal((await shown(operator.agent, 'test.straggler')).length, 1, 'not swept within the hour');
      server.clock.advance(3_600_000);
      const thirdAt = server.clock();
      await pass();
      operator = await logInAgain(server, platform, operator);
      assert.equal((await shown(operator.agent, 'test.straggler')).length, 0, 'swept an hour after the last sweep began');
      const latest = (await shown(operator.agent, 'audit.retention_swept'))[0];
      assert.deepEqual(latest?.detail, { deleted: 1, before: cutoffAt(thirdAt), retentionDays: 30, caughtUp: true });
    });
  });

  describe(`no audit retention set (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ engine });
    });
    after(() => server.close());

    test('the trail keeps everything, however old', async () => {
      const { platform } = await startedPortal(server);
      const startedAt = server.clock();
      server.clock.advance(4000 * DAY_MS);
      await housekeeping(server);
      const operator = await logInAgain(server, platform, platform.root);
      const events = await trail(operator.agent, '/api/operator/audit');
      assert.ok(events.filter((e) => Date.parse(e.time) <= startedAt).length >= 5, 'the first events are all still there');
      assert.ok(events.some((e) => e.action === 'operator.created'));
      assert.equal(events.filter((e) => e.action === 'audit.retention_swept').length, 0);
    });
  });
}

describe('GATEHOUSE_AUDIT_RETENTION_DAYS', () => {
  test('a whole number of days from 30 to 3650; unset keeps everything', () => {
    assert.equal(loadConfig({}).auditRetentionDays, undefined);
    // Empty is unset, as for every numeric variable (docs/CONFIG.md).
    assert.equal(loadConfig({ GATEHOUSE_AUDIT_RETENTION_DAYS: '' }).auditRetentionDays, undefined);
    assert.equal(loadConfig({ GATEHOUSE_AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays, 30);
    assert.equal(loadConfig({ GATEHOUSE_AUDIT_RETENTION_DAYS: '3650' }).auditRetentionDays, 3650);
  });

  test('anything else refuses to start, naming the setting', async () => {
    for (const value of ['29', '7', '0', '-30', '45.5', 'thirty', '3651', '90d']) {
      assert.throws(
        () => loadConfig({ GATEHOUSE_AUDIT_RETENTION_DAYS: value }),
        (error: unknown) => error instanceof ConfigError && /GATEHOUSE_AUDIT_RETENTION_DAYS/.test(error.message),
        JSON.stringify(value),
      );
    }
    await assert.rejects(startTestServer({ env: { GATEHOUSE_AUDIT_RETENTION_DAYS: '7' } }), /GATEHOUSE_AUDIT_RETENTION_DAYS/);
  });
});
