// The write that makes a login's session checks the company's row (mayFinishLogin,
// src/login/lockout.ts): its key policy, its allowlist, that it is active. On PostgreSQL
// that read once took the statement's snapshot and locked nothing, so a change saved
// after the login's statement but before its commit (everyone held to keys, the allowlist
// narrowed) looked for the sessions it must end without finding this one, not yet
// committed; the login then committed a session the company's policy had just ruled out.
// The row is now read with a share lock: the change waits for the login to commit, then
// finds its session and ends it.
//
// PostgreSQL only: SQLite runs one writer at a time, so a change cannot commit inside the
// login's transaction there. The login is held after its finishing statement, its
// transaction open; the change is sent, and the test waits until it has answered or waits
// on a lock, then lets the login go on. Without sleeping: pg_stat_activity says who waits.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { invitedMember, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { policyByClient } from '../helpers/key-policy.ts';
import { holdAfterStatement } from '../helpers/held-transaction.ts';
import { inFlight, lockWatcher } from '../helpers/pg-lock-holder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { until } from '../helpers/until.ts';

/** The login's address, behind the proxy: outside the allowlist the change sets (the API client calls from 127.0.0.1). */
const OUTSIDE = { 'x-forwarded-for': '203.0.113.77' };

const engines = (await enginesUnderTest()).filter((engine) => engine === 'postgres');
for (const engine of engines) describe(`a company change saved while a login commits its session (${engine})`, () => {
  let server: TestServer;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' } });
    ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Commit Window Co', emailDomain: 'commit-window.test' }));
  });
  after(() => server.close());

  // Each change, and how it is undone afterwards: a session that outlived it would be back.
  const changes = [
    { what: 'everyone held to keys', change: { phishingResistant: 'everyone' }, undo: { phishingResistant: 'off' } },
    { what: 'the allowlist narrowed past the login', change: { ipAllowlist: ['127.0.0.1'] }, undo: { ipAllowlist: [] } },
  ];
  for (const { what, change, undo } of changes) {
    test(`${what} while the app code's login commits: no session survives the change`, async () => {
      const company: SignedInCompany = await tenants.signedIn();
      const tess = await invitedMember(server, company, company.root.agent, { username: 'tess', role: 'user' });
      const setPolicy = await policyByClient(server, company.companyId);
      server.clock.advance(30_000);
      const browser = server.agent();
      assert.equal((await browser.post('/api/login/identify', { username: 'tess', companyName: company.companyName }, OUTSIDE)).status, 200);
      assert.equal((await browser.post('/api/login/password', { password: STRONG_PASSWORD }, OUTSIDE)).body.step, 'totp');

      // The statement that stamps the login's time on the user: the session is written with it, or right after.
      const hold = holdAfterStatement(server, /"last_login_at"/);
      const watcher = await lockWatcher(server.database.url);
      try {
        const login = inFlight(browser.post('/api/login/totp', { code: totpAt(tess.totpSecret, server.clock()) }, OUTSIDE));
        await Promise.race([hold.atHold, login.answer]);
        assert.equal(login.answered, false, 'the login was held before it answered');
        const saving = inFlight(setPolicy(change));
        await until(async () => saving.answered || (await watcher.waitingAt(/^update "companies"/)), 'the change saved, or waiting for the login');
        hold.release();
        await login.answer;
        await saving.answer;
      } finally {
        hold.release();
        hold.restore();
        await watcher.close();
      }
      await setPolicy(undo);
      const me = await browser.get('/api/me', OUTSIDE);
      assert.equal(me.status, 401, `a session made while the change was saved outlives it: ${JSON.stringify(me.body)}`);
    });
  }
});
