// Suspending a company revokes every emailed link of its users still unused, for good
// (src/companies/suspension.ts): invitations, password resets and email changes die with
// the suspension, and reactivating the company brings none of them back, as it brings no
// session back. A company is suspended when it is compromised too; before, an invitation
// an intruder had sent to their own address, or a reset link in a mailbox they read, came
// back to life with the reactivation. Masters resend invitations (a new link that works).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, inviteMail, invitedMember, operatorAgent } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, STRONG_PASSWORD, tokenFromLink, tokenIn } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import type { Agent } from '../helpers/agent.ts';


for (const engine of await enginesUnderTest()) describe(`a suspension's links stay dead after reactivation (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
  });
  after(() => server.close());

  test('invitation, password reset and email change links of every user: refused while suspended and after reactivation', async () => {
    const company = await companyWithRootMaster(server, operator, 'Lapsed Co', 'root@lapsed.test');
    const ursula = await invitedMember(server, company, company.root.agent, { username: 'ursula', role: 'user', email: 'ursula@lapsed.test' });

    const invited = await withFreshProof(server, company.root.agent, () =>
      company.root.agent.post('/api/company/users', { email: 'mallory@intruder.test', username: 'mallory', role: 'master' }),
    );
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const invitation = tokenFromLink((await inviteMail(server, company.companyName, 'mallory@intruder.test')).link);

    assert.equal((await server.agent().post('/api/login/forgot-password', { username: 'ursula', companyName: company.companyName })).status, 200);
    const resetMail = await server.mail.waitFor((m) => m.to.includes('ursula@lapsed.test') && /\/reset-password\//.test(m.text));
    const reset = tokenIn(resetMail.text, 'reset-password');

    const asked = await company.root.agent.post('/api/me/email', { email: 'root@elsewhere.test', password: STRONG_PASSWORD });
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    const confirm = tokenIn((await server.mail.waitFor((m) => m.to.includes('root@elsewhere.test'))).text, 'confirm-email');

    const alive = async () => ({
      invitation: (await server.agent().get(`/api/signup/${invitation}`)).status,
      reset: (await server.agent().get(`/api/password-reset/${reset}`)).status,
    });
    assert.deepEqual(await alive(), { invitation: 200, reset: 200 });

    assert.equal((await withFreshProof(server, operator, () => operator.post(`/api/operator/companies/${company.companyId}/suspend`))).status, 200);
    assert.deepEqual(await alive(), { invitation: 410, reset: 410 });
    assert.equal((await withFreshProof(server, operator, () => operator.post(`/api/operator/companies/${company.companyId}/reactivate`))).status, 200);

    assert.deepEqual(await alive(), { invitation: 410, reset: 410 }, 'reactivating brings no link back');
    const signUp = await server.agent().post('/api/signup', { token: invitation, password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
    assert.deepEqual([signUp.status, signUp.body.error?.code], [410, 'link.invalid']);
    const setPassword = await server.agent().post('/api/password-reset', { token: reset, password: 'Fresh-Orchard-58?', confirm: 'Fresh-Orchard-58?' });
    assert.equal(setPassword.status, 410);
    assert.equal((await server.agent().post('/api/me/email/confirm', { token: confirm })).status, 410);
    const users = await server.gatehouse.deps.db.selectFrom('users').select(['username', 'email', 'password_hash']).where('company_id', '=', company.companyId).execute();
    assert.equal(users.find((u) => u.username === 'mallory')?.password_hash, null, 'the invitation set no password');
    assert.equal(users.find((u) => u.username === company.root.username)?.email, 'root@lapsed.test');
    assert.equal((await ursula.agent.get('/api/me')).status, 401, 'nor does a session come back');

    // The company's Masters send what is still wanted again, and the new link works.
    const root = server.agent();
    server.clock.advance(30_000);
    await logIn(server, root, { username: company.root.username, companyName: company.companyName, password: STRONG_PASSWORD, totpSecret: company.root.totpSecret });
    const resent = await root.post(`/api/company/users/${invited.body.user.id}/resend-invite`);
    assert.equal(resent.status, 200, JSON.stringify(resent.body));
    const fresh = tokenFromLink((await inviteMail(server, company.companyName, 'mallory@intruder.test', 1)).link);
    assert.equal((await server.agent().get(`/api/signup/${fresh}`)).status, 200);
  });
});
