// Adding a key in My Settings proves the password in one request and writes the key in
// the next. A thief holding a stolen session and the password starts adding a passkey;
// while the write is on its way the account is recovered (the owner changes the password
// and resets 2FA, a Master resets the user's 2FA, the session is signed out). The key
// must not be written after that: it would survive the recovery, and "Log in with a
// passkey" would then sign the thief in as the user with no password and no code. And a
// ceremony in progress ends with the access it was started under.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { invitedMember } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';
import { holdNextTransaction } from '../helpers/held-transaction.ts';

/** The user whose session is stolen, signed in on `agent`; `master` is a Master of the same company. */
type Victim = { id: string; companyId: string; companyName: string; username: string; password: string; totpSecret: string; agent: Agent; master: Agent };

for (const engine of await enginesUnderTest()) describe(`a key added while the account is recovered (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'KeyRace Co', emailDomain: 'keyrace.test' });
  });
  after(() => server.close());

  const db = () => server.gatehouse.deps.db;

  /** A Root Master (their own Master), signed in. */
  async function rootMaster(): Promise<Victim> {
    const root = await tenants.member();
    const me = await root.agent.get('/api/me');
    return { ...root, id: me.body.user.id, master: root.agent };
  }

  /** A user invited into a fresh company, signed in; the Root Master is their Master. */
  async function invitedUser(): Promise<Victim> {
    const root = await rootMaster();
    const company = { companyId: root.companyId, companyName: root.companyName, root: { ...root } };
    const user = await invitedMember(server, company, root.agent, { username: 'uma', role: 'user' });
    return { ...user, companyId: root.companyId, companyName: root.companyName, password: STRONG_PASSWORD, master: root.agent };
  }

  /** A second session of the victim's, held by someone else. */
  async function stolenSession(victim: Victim): Promise<Agent> {
    server.clock.advance(30_000);
    const thief = server.agent();
    await logIn(server, thief, { username: victim.username, companyName: victim.companyName, password: victim.password, totpSecret: victim.totpSecret });
    server.clock.advance(30_000);
    return thief;
  }

  async function keyNames(victim: Victim) {
    const rows = await db().selectFrom('webauthn_credentials').select('name').where('company_id', '=', victim.companyId).where('user_id', '=', victim.id).execute();
    return rows.map((r) => r.name);
  }

  const ok = (answer: { status: number; body: unknown }) => assert.equal(answer.status, 200, JSON.stringify(answer.body));

  const recoveries: { name: string; victim: () => Promise<Victim>; recover: (victim: Victim, thief: Agent) => Promise<void> }[] = [
    {
      name: 'the owner changes the password (every other session ends), then resets 2FA (every key goes)',
      victim: rootMaster,
      recover: async (victim) => {
        const next = 'Quartz-Lantern-87?';
        ok(await victim.agent.post('/api/me/password', { currentPassword: victim.password, newPassword: next, confirm: next }));
        ok(await victim.agent.post('/api/me/two-factor/reset', { password: next, code: totpAt(victim.totpSecret, server.clock()) }));
      },
    },
    {
      name: "a Master resets the user's 2FA (keys go, sessions end)",
      victim: invitedUser,
      recover: async (victim) => ok(await victim.master.post(`/api/company/users/${victim.id}/reset-2fa`)),
    },
    {
      name: 'the owner ends that session from My Sessions',
      victim: rootMaster,
      recover: async (victim) => {
        const theirs = (await victim.agent.get('/api/me/sessions')).body.sessions.find((s: { current: boolean }) => !s.current);
        ok(await victim.agent.post(`/api/me/sessions/${theirs.id}/revoke`));
      },
    },
    {
      name: 'the owner signs out everywhere',
      victim: rootMaster,
      recover: async (victim) => ok(await victim.agent.post('/api/me/sessions/revoke-all')),
    },
    {
      name: 'the stolen session logs out',
      victim: rootMaster,
      recover: async (_victim, thief) => ok(await thief.post('/api/logout')),
    },
  ];

  for (const { name, victim: makeVictim, recover } of recoveries) {
    test(`a key whose write is on its way when ${name} is refused, and no passkey login follows`, async () => {
      const victim = await makeVictim();
      const thief = await stolenSession(victim);
      const key = new SoftAuthenticator(server.baseUrl);
      const options = await thief.post('/api/me/security-keys/options', { password: victim.password });
      ok(options);
      const registration = key.register(options.body);

      const hold = holdNextTransaction(server);
      let planted;
      try {
        const asked = thief.post('/api/me/security-keys', { name: 'thief', response: registration });
        await hold.atHold;
        hold.restore();
        await recover(victim, thief);
        hold.release();
        planted = await asked;
      } finally {
        hold.release();
        hold.restore();
      }

      const passkey = server.agent();
      const start = await passkey.post('/api/login/passkey/options', {});
      const signedIn = await passkey.post('/api/login/passkey', { response: key.assert(start.body) });
      assert.deepEqual(
        { answer: planted.status, code: planted.body.error?.code, keys: await keyNames(victim), passkeyLogin: signedIn.status },
        { answer: 401, code: 'session.required', keys: [], passkeyLogin: 401 },
        `the key request answered ${planted.status} (${JSON.stringify(planted.body)}); "Log in with a passkey" then answered ${signedIn.status} (${JSON.stringify(signedIn.body)})`,
      );
    });
  }

  test('a register challenge ends with the access it was started under: after a password change it is gone and cannot finish', async () => {
    const victim = await rootMaster();
    const thief = await stolenSession(victim);
    const ownKey = new SoftAuthenticator(server.baseUrl);
    const thiefKey = new SoftAuthenticator(server.baseUrl);
    const ownOptions = await victim.agent.post('/api/me/security-keys/options', { password: victim.password });
    const thiefOptions = await thief.post('/api/me/security-keys/options', { password: victim.password });
    ok(ownOptions);
    ok(thiefOptions);
    const pending = () => db().selectFrom('webauthn_challenges').select('purpose').where('company_id', '=', victim.companyId).where('user_id', '=', victim.id).execute();
    assert.deepEqual((await pending()).map((c) => c.purpose), ['register', 'register']);

    const next = 'Quartz-Lantern-87?';
    ok(await victim.agent.post('/api/me/password', { currentPassword: victim.password, newPassword: next, confirm: next }));
    assert.deepEqual(await pending(), [], 'no ceremony of the old password outlives the change');

    // This browser stays signed in (a new session id), but its challenge went with the old password.
    const own = await victim.agent.post('/api/me/security-keys', { response: ownKey.register(ownOptions.body) });
    assert.deepEqual({ status: own.status, code: own.body.error?.code }, { status: 401, code: 'webauthn.not_accepted' });
    const stolen = await thief.post('/api/me/security-keys', { response: thiefKey.register(thiefOptions.body) });
    assert.deepEqual({ status: stolen.status, code: stolen.body.error?.code }, { status: 401, code: 'session.required' });
    assert.deepEqual(await keyNames(victim), []);

    // Proving the new password starts a ceremony that finishes.
    const again = await victim.agent.post('/api/me/security-keys/options', { password: next });
    ok(again);
    ok(await victim.agent.post('/api/me/security-keys', { name: 'mine', response: ownKey.register(again.body) }));
    assert.deepEqual(await keyNames(victim), ['mine']);
  });
});
