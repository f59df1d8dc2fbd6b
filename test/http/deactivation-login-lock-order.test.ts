// A user deactivated while a login of theirs finishes (PostgreSQL, READ COMMITTED). The
// deactivation locks the user's row, then the company's, then deletes the user's login
// flows and sessions. A login that consumed its flow first and only then waited for the
// user's row held the flow the deactivation was about to delete: each waited for the
// other, and PostgreSQL broke the deadlock (40P01) by rolling one back. Both now take the
// user's row before the flow (src/login/lockout.ts, LOCK ORDER).
//
// The interleaving is forced without sleeping: another connection holds the company's
// row, so the deactivation stops after locking the user; the login then runs until it
// waits for the user too. At that moment the login's flow must be free for the
// deactivation to delete: another transaction can lock it. Then everything goes on, and
// the login ends without a session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Agent, Answer } from '../helpers/agent.ts';
import { companyWithRootMaster, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { isPostgresReachable } from '../helpers/databases.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { holdLocks } from '../helpers/pg-lock-holder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';
import { until } from '../helpers/until.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const reachable = await isPostgresReachable();
let server: TestServer;
let company: SignedInCompany;
before(async () => {
  if (!reachable) return;
  server = await startTestServer({ engine: 'postgres' });
  company = await companyWithRootMaster(server, await operatorAgent(server), 'Lock Order Co', 'root@lock-order.test');
});
after(async () => server?.close());

/** A fresh browser of `person` at the code step, past the password. */
async function atCodeStep(person: Person): Promise<Agent> {
  server.clock.advance(30_000);
  const agent = server.agent();
  assert.equal((await agent.post('/api/login/identify', { username: person.username, companyName: company.companyName })).status, 200);
  const answer = await agent.post('/api/login/password', { password: STRONG_PASSWORD });
  assert.equal(answer.body.step, 'totp', JSON.stringify(answer.body));
  return agent;
}

/**
 * Deactivates `person` while `finish` (the login's last request, in `browser`) runs, held
 * at the moment both wait for the user's row; then lets both go on.
 */
async function deactivateWhileFinishing(person: Person, browser: Agent, finish: () => Promise<Answer>) {
  const holder = await holdLocks(server.database.url);
  try {
    assert.equal((await holder.query('SELECT 1 FROM companies WHERE id = $1 FOR NO KEY UPDATE', [company.companyId])).rowCount, 1);
    const deactivation = company.root.agent.post(`/api/company/users/${person.id}/deactivate`);
    await until(async () => (await holder.lockWaiters()) >= 1, 'the deactivation holding the user, waiting for the company');
    const login = finish();
    await until(async () => (await holder.lockWaiters()) >= 2, 'the login waiting for the user');

    // The login, waiting for the user, has not taken its flow: the deactivation can end it.
    const flows = await holder.query('SELECT 1 FROM login_flows WHERE user_id = $1 FOR UPDATE SKIP LOCKED', [person.id]);
    assert.equal(flows.rowCount, 1, 'the login holds its flow while it waits for the user (the deactivation would wait for it: a deadlock)');

    await holder.release();
    assert.equal((await deactivation).status, 200);
    const finished = await login;
    assert.notEqual(finished.status, 200, `a login finished for a deactivated user: ${JSON.stringify(finished.body)}`);
  } finally {
    await holder.close();
  }
  assert.equal((await browser.get('/api/me')).status, 401, 'no session for the deactivated user');
}

test('the code from the app: the login waits for the user before its flow (PostgreSQL)', { skip: !reachable }, async () => {
  const ulla = await invitedMember(server, company, company.root.agent, { username: 'ulla', role: 'user' });
  const browser = await atCodeStep(ulla);
  await deactivateWhileFinishing(ulla, browser, () => browser.post('/api/login/totp', { code: totpAt(ulla.totpSecret, server.clock()) }));
});

test('a recovery code: the login waits for the user before its flow (PostgreSQL)', { skip: !reachable }, async () => {
  const rita = await invitedMember(server, company, company.root.agent, { username: 'rita', role: 'user' });
  server.clock.advance(30_000);
  const codes = await rita.agent.post('/api/me/recovery-codes', { password: STRONG_PASSWORD, code: totpAt(rita.totpSecret, server.clock()) });
  assert.equal(codes.status, 200, JSON.stringify(codes.body));
  const browser = await atCodeStep(rita);
  await deactivateWhileFinishing(rita, browser, () => browser.post('/api/login/recovery', { code: codes.body.recoveryCodes[0] }));
});

test('a security key at the code step: the login waits for the user before its flow (PostgreSQL)', { skip: !reachable }, async () => {
  const kim = await invitedMember(server, company, company.root.agent, { username: 'kim', role: 'user' });
  const key = new SoftAuthenticator(server.baseUrl);
  const options = await kim.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
  assert.equal(options.status, 200, JSON.stringify(options.body));
  assert.equal((await kim.agent.post('/api/me/security-keys', { name: 'Desk key', response: key.register(options.body) })).status, 200);
  const browser = await atCodeStep(kim);
  const challenge = await browser.post('/api/login/key/options');
  assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
  await deactivateWhileFinishing(kim, browser, () => browser.post('/api/login/key', { response: key.assert(challenge.body) }));
});
