// GET /api/me says the limits the session runs under, so a page left open can leave by
// itself once the session is over (test/e2e/shared-computer.test.ts): the company's idle
// timeout as it is now, and the session's absolute end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe("GET /api/me: the session's limits", () => {
  let server: TestServer;
  let company: SignedInCompany;
  before(async () => {
    server = await startTestServer();
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Limits', 'dana@limits.test');
  });
  after(() => server?.close());

  test('the idle timeout in force and the absolute end, which follow the policy', async () => {
    const me = (await company.root.agent.get('/api/me')).body;
    const policy = (await company.root.agent.get('/api/company/policy')).body.policy;
    assert.equal(me.session.idleMinutes, policy.sessionIdleMinutes);
    assert.equal(Date.parse(me.session.endsAt), Date.parse(me.session.authTime) + policy.sessionAbsoluteMinutes * 60_000);
    // Counted from the answer, for a client whose clock is not the server's.
    assert.equal(me.session.secondsLeft, Math.floor((Date.parse(me.session.endsAt) - server.clock()) / 1000));
    assert.ok(me.session.idleSecondsLeft > 0 && me.session.idleSecondsLeft <= policy.sessionIdleMinutes * 60, String(me.session.idleSecondsLeft));

    assert.equal((await company.root.agent.post('/api/company/policy', { sessionIdleMinutes: 10, sessionAbsoluteMinutes: 60 })).status, 200);
    const now = (await company.root.agent.get('/api/me')).body;
    assert.equal(now.session.idleMinutes, 10);
    assert.equal(Date.parse(now.session.endsAt), Date.parse(now.session.authTime) + 60 * 60_000);
  });

  test('a look (X-Gatehouse-Look-Only) is no use of the session: an idle session ends on time however often a page looks', async () => {
    const agent = company.root.agent;
    const lookOnly = { 'x-gatehouse-look-only': '1' };
    const left = (await agent.get('/api/me', lookOnly)).body.session.idleSecondsLeft as number;
    for (let looked = 60; looked < left; looked += 60) {
      server.clock.advance(60_000);
      const look = await agent.get('/api/me', lookOnly);
      assert.equal(look.status, 200);
      assert.equal(look.body.session.idleSecondsLeft, left - looked, 'counted from the last use, not the looks');
    }
    server.clock.advance((left % 60 || 60) * 1000);
    assert.equal((await agent.get('/api/me', lookOnly)).status, 401, 'over at the idle timeout after the last use');
  });
});
