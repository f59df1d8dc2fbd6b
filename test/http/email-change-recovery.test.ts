// A pending email change does not survive recovery (issue 7, item 17). An attacker with
// a session and the password asks to move the account's mail to their own address; then
// the victim (or a Master, or the operator) ends access in any of the ways Gatehouse
// offers. The confirm link, which needs no session, must be dead afterwards. And the old
// address can cancel a pending change itself, once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { liveLinks, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextPasswordCheck } from '../helpers/held-password-check.ts';
import { STRONG_PASSWORD, tokenIn } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

const NEW_PASSWORD = 'Copper-Lantern-77!';

interface Scene {
  server: TestServer;
  operator: Agent;
  company: SignedInCompany;
  victim: Person & { email: string };
  attacker: Agent;
}

/** Every way access ends, as the person who would do it does it. */
const ACCESS_ENDINGS: Record<string, (s: Scene) => Promise<{ status: number }>> = {
  'password change': (s) => s.victim.agent.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, confirm: NEW_PASSWORD }),
  'password reset': async (s) => {
    await s.server.agent().post('/api/login/forgot-password', { username: s.victim.username, companyName: s.company.companyName });
    const mail = await s.server.mail.waitFor((m) => m.to.includes(s.victim.email) && m.subject === 'Reset your Gatehouse password');
    return s.server.agent().post('/api/password-reset', { token: tokenIn(mail.text, 'reset-password'), password: NEW_PASSWORD, confirm: NEW_PASSWORD });
  },
  'sign out everywhere': (s) => s.victim.agent.post('/api/me/sessions/revoke-all'),
  "ending the attacker's session": async (s) => {
    const sessions = (await s.victim.agent.get('/api/me/sessions')).body.sessions as Array<{ id: string; current: boolean }>;
    const other = sessions.find((session) => !session.current);
    assert.ok(other, JSON.stringify(sessions));
    return s.victim.agent.post(`/api/me/sessions/${other.id}/revoke`);
  },
  'own 2FA reset': (s) => s.victim.agent.post('/api/me/two-factor/reset', { password: STRONG_PASSWORD, code: totpAt(s.victim.totpSecret, s.server.clock(), 1) }),
  '2FA reset by a Master': (s) => s.company.root.agent.post(`/api/company/users/${s.victim.id}/reset-2fa`),
  'deactivation (then reactivation)': async (s) => {
    assert.equal((await s.company.root.agent.post(`/api/company/users/${s.victim.id}/deactivate`)).status, 200);
    return s.company.root.agent.post(`/api/company/users/${s.victim.id}/reactivate`);
  },
  'company suspension (then reactivation)': async (s) => {
    assert.equal((await s.operator.post(`/api/operator/companies/${s.company.companyId}/suspend`)).status, 200);
    return s.operator.post(`/api/operator/companies/${s.company.companyId}/reactivate`);
  },
};

for (const engine of await enginesUnderTest()) describe(`pending email changes and recovery (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine });
    ({ operator, tenants } = await operatorWithTenants(server, { namePrefix: 'Mailbox Co', emailDomain: 'mailbox.test' }));
  });
  after(() => server.close());

  /** A member, a second session of theirs held by an attacker, and a change to the attacker's address. */
  async function attackedAccount() {
    const { company, victim, thief: attacker } = await tenants.stolenSession();
    const email = victim.email;
    const attackerEmail = `attacker-${victim.username}@evil.test`;
    const asked = await attacker.post('/api/me/email', { email: attackerEmail, password: STRONG_PASSWORD });
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    const confirmMail = await server.mail.waitFor((m) => m.to.includes(attackerEmail));
    const notice = await server.mail.waitFor((m) => m.to.includes(email) && m.subject === 'Your Gatehouse email address is being changed');
    assert.ok(notice.text.includes(attackerEmail));
    const scene: Scene = { server, operator, company, victim, attacker };
    return { scene, confirmToken: tokenIn(confirmMail.text, 'confirm-email'), cancelToken: tokenIn(notice.text, 'cancel-email') };
  }
  const confirm = (token: string) => server.agent().post('/api/me/email/confirm', { token });
  const cancel = (token: string) => server.agent().post('/api/me/email/cancel', { token });
  async function emailOf(scene: Scene) {
    const row = await server.gatehouse.deps.db.selectFrom('users').select('email').where('company_id', '=', scene.company.companyId).where('id', '=', scene.victim.id).executeTakeFirstOrThrow();
    return row.email;
  }

  for (const [name, endAccess] of Object.entries(ACCESS_ENDINGS)) {
    test(`${name} kills a pending email change: the confirm link no longer works`, async () => {
      const { scene, confirmToken, cancelToken } = await attackedAccount();
      const ended = await endAccess(scene);
      assert.equal(ended.status, 200, JSON.stringify(ended));
      const late = await confirm(confirmToken);
      assert.equal(late.status, 410, JSON.stringify(late.body));
      assert.equal(late.body.error.code, 'link.invalid');
      assert.equal(await emailOf(scene), scene.victim.email, 'the mail stays with the victim');
      assert.equal((await cancel(cancelToken)).status, 410, 'nothing left to cancel');
    });
  }

  for (const [name, endAccess] of Object.entries(ACCESS_ENDINGS)) {
    test(`a change asked for while ${name} happens (its password still being checked) dies with it`, async () => {
      const { company, victim, thief: attacker } = await tenants.stolenSession();
      const email = victim.email;
      const attackerEmail = `late-${victim.username}@evil.test`;
      const hold = holdNextPasswordCheck(server);
      try {
        const asked = attacker.post('/api/me/email', { email: attackerEmail, password: STRONG_PASSWORD });
        await hold.atHold;
        const scene: Scene = { server, operator, company, victim, attacker };
        assert.equal((await endAccess(scene)).status, 200);
        hold.release();
        const answer = await asked;
        assert.deepEqual([answer.status, answer.body.error?.code], [401, 'session.required'], JSON.stringify(answer.body));
        assert.equal(await emailOf(scene), email);
        const queued = await liveLinks(server, company.companyId, ['confirm_email']);
        assert.deepEqual(queued, [], 'no live confirm link');
      } finally {
        hold.release();
        hold.restore();
      }
    });
  }

  test('the old address cancels a pending change once; then the confirm link is dead', async () => {
    const { scene, confirmToken, cancelToken } = await attackedAccount();
    const cancelled = await cancel(cancelToken);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal((await cancel(cancelToken)).status, 410, 'single use');
    assert.equal((await confirm(confirmToken)).status, 410);
    assert.equal(await emailOf(scene), scene.victim.email);
    assert.equal((await scene.victim.agent.get('/api/me/profile')).body.pendingEmail, null);
    assert.equal((await cancel('A'.repeat(43))).status, 410, 'a forged token');
  });

  test('a confirmed change cannot be cancelled afterwards, and a confirm racing a cancel: exactly one wins', async () => {
    const first = await attackedAccount();
    assert.equal((await confirm(first.confirmToken)).status, 200);
    assert.equal((await cancel(first.cancelToken)).status, 410);

    for (let round = 0; round < 3; round += 1) {
      const { confirmToken, cancelToken } = await attackedAccount();
      const [confirmed, cancelled] = await Promise.all([confirm(confirmToken), cancel(cancelToken)]);
      assert.deepEqual([confirmed.status, cancelled.status].sort(), [200, 410], JSON.stringify([confirmed.body, cancelled.body]));
    }
  });
});
