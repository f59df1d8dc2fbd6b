// "Sign out everywhere" against a login finishing at the same moment (PostgreSQL, READ
// COMMITTED). A login deletes its flow and inserts its session in one transaction; the
// sign-out ends the user's unfinished logins before their sessions (endUserAccess), so a
// login either loses its flow to the sign-out, or the sign-out waits for it and then ends
// the session it made. Deleting the sessions first let a login committing between the two
// deletes keep its session after "sign out everywhere" had committed.
//
// The moment is held open without sleeping: another connection locks the user's pending
// email-change link, which the sign-out updates after ending the sessions, so the sign-out
// stops there, uncommitted. The login then runs; the test waits until it has either
// answered or is itself waiting on a lock, and only then lets the sign-out go on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { companyWithRootMaster, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { isPostgresReachable } from '../helpers/databases.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';
import { until } from '../helpers/until.ts';
import { holdLocks } from '../helpers/pg-lock-holder.ts';

const reachable = await isPostgresReachable();
let server: TestServer;
let company: SignedInCompany;
before(async () => {
  if (!reachable) return;
  server = await startTestServer({ engine: 'postgres' });
  company = await companyWithRootMaster(server, await operatorAgent(server), 'Race Co', 'root@race.test');
});
after(async () => server?.close());

test('a login finishing while "sign out everywhere" runs keeps no session afterwards (PostgreSQL)', { skip: !reachable }, async () => {
  const ulla = await invitedMember(server, company, company.root.agent, { username: 'ulla', role: 'user' });
  assert.equal((await ulla.agent.post('/api/me/email', { email: 'ulla.new@members.test', password: STRONG_PASSWORD })).status, 200);

  // Another browser (someone with her password and code) is at the code step.
  server.clock.advance(30_000);
  const other = server.agent();
  assert.equal((await other.post('/api/login/identify', { username: 'ulla', companyName: company.companyName })).status, 200);
  const pw = await other.post('/api/login/password', { password: STRONG_PASSWORD });
  assert.equal(pw.body.step, 'totp', JSON.stringify(pw.body));

  const holder = await holdLocks(server.database.url);
  const { lockWaiters } = holder;
  try {
    const locked = await holder.query("SELECT 1 FROM action_links WHERE user_id = $1 AND purpose = 'confirm_email' AND revoked_at IS NULL FOR UPDATE", [ulla.id]);
    assert.equal(locked.rowCount, 1);

    const signOut = ulla.agent.post('/api/me/sessions/revoke-all');
    await until(async () => (await lockWaiters()) >= 1, 'the sign-out waiting on the locked link');

    // The other browser finishes its login meanwhile: it answers at once (its flow was
    // still there) or waits behind the sign-out (which took the flow first).
    let answered = false;
    const login = other.post('/api/login/totp', { code: totpAt(ulla.totpSecret, server.clock()) }).finally(() => {
      answered = true;
    });
    await until(async () => answered || (await lockWaiters()) >= 2, 'the login answering, or waiting behind the sign-out');

    await holder.release();
    assert.equal((await signOut).status, 200, 'sign out everywhere committed');
    await login;
  } finally {
    await holder.close();
  }

  assert.equal((await ulla.agent.get('/api/me')).status, 401, 'the browser that signed out is out');
  const afterwards = await other.get('/api/me');
  assert.equal(afterwards.status, 401, `a session made during "sign out everywhere" survives it (GET /api/me ${afterwards.status})`);
});
