// Step-up before sensitive changes (docs/SECURITY.md): a session whose last proof (the
// login, or POST /api/me/reauth) is more than 10 minutes old gets 403 reauth.required on
// every sensitive route, before anything is read or changed; a borrowed cookie alone
// cannot plant a Master, move the Root Master, reset someone's 2FA or repoint single
// sign-on. The stamp lives on the session, so whatever ends the session ends it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, invitedMember, logInAgain, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { snapshot } from '../helpers/spellings.ts';
import { proveSession } from '../helpers/step-up.ts';
import { totpAt } from '../helpers/totp.ts';

const MINUTE = 60_000;
const NEW_PASSWORD = 'Quartz-Lantern-77?';

for (const engine of await enginesUnderTest()) describe(`step-up before sensitive changes (${engine})`, () => {
  let server: TestServer;
  let operator: Person;
  let company: SignedInCompany;
  let alice: Person;
  let bob: Person;

  before(async () => {
    server = await startTestServer({ engine });
    const op = await signedInOperator(server);
    operator = { id: '', username: op.username, agent: op.agent, totpSecret: op.totpSecret };
    company = await companyWithRootMaster(server, op.agent, 'Step Up Co', 'root@stepup.test');
    alice = await invitedMember(server, company, company.root.agent, { username: 'alice', role: 'master' });
    bob = await invitedMember(server, company, company.root.agent, { username: 'bob', role: 'user' });
  });
  after(() => server.close());

  const roleOf = async (userId: string) =>
    (await dbOf(server).selectFrom('users').select('role').where('id', '=', userId).executeTakeFirstOrThrow()).role;

  /** Lets every session's proof go stale (11 minutes), keeping the sessions alive (idle limit 30 minutes). */
  async function stale(...agents: Agent[]) {
    server.clock.advance(11 * MINUTE);
    for (const agent of agents) assert.equal((await agent.get('/api/me')).status, 200);
  }

  /** Every sensitive change, with a body that passes validation, as a company's Root Master or an operator makes it. */
  function sensitiveCalls() {
    const provider = { kind: 'oidc', name: 'Evil IdP', issuer: 'https://idp.attacker.test', clientId: 'c', clientSecret: 's', usernameAttribute: 'preferred_username', trustProviderMfa: true };
    const master: Array<[string, unknown]> = [
      ['/api/company/users', { email: 'helpdesk@attacker.test', username: 'helpdesk', role: 'master' }],
      ['/api/company/users/bulk-invite', { csv: 'email,username,role\nok@attacker.test,okuser,user\nboss@attacker.test,boss,Master' }],
      [`/api/company/users/${bob.id}/role`, { role: 'master' }],
      [`/api/company/users/${alice.id}/transfer-root-master`, {}],
      [`/api/company/users/${bob.id}/reset-2fa`, {}],
      [`/api/company/users/${bob.id}/reactivate`, {}],
      [`/api/company/approvals/${randomUUID()}/approve`, {}],
      ['/api/company/policy', { lockoutThreshold: 50 }],
      ['/api/company/sso', { mode: 'sso-plus-password' }],
      ['/api/company/sso/providers', provider],
      [`/api/company/sso/providers/${randomUUID()}`, provider],
      [`/api/company/sso/providers/${randomUUID()}/test`, {}],
      [`/api/company/sso/providers/${randomUUID()}/enabled`, { enabled: true }],
    ];
    const operatorCalls: Array<[string, unknown]> = [
      ['/api/operator/modules', { name: 'Exfil', clientType: 'confidential', launchUrl: 'https://exfil.attacker.test', redirectUris: ['https://exfil.attacker.test/cb'] }],
      [`/api/operator/modules/${randomUUID()}/rotate-secret`, {}],
      [`/api/operator/companies/${company.companyId}/modules/${randomUUID()}/grant`, {}],
      [`/api/operator/requests/${randomUUID()}/approve`, {}],
      [`/api/operator/companies/${company.companyId}/reactivate`, {}],
    ];
    return { master, operatorCalls };
  }

  test('a session proved more than 10 minutes ago gets reauth.required on each sensitive route, and nothing changes', async () => {
    await stale(company.root.agent, operator.agent);
    const { master, operatorCalls } = sensitiveCalls();
    const before = await snapshot(server);
    const wrong: string[] = [];
    for (const [who, calls] of [[company.root.agent, master], [operator.agent, operatorCalls]] as const) {
      for (const [path, body] of calls) {
        const answer = await who.post(path, body);
        if (answer.status !== 403 || answer.body.error?.code !== 'reauth.required') wrong.push(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
        else assert.equal(answer.body.error.message, 'Confirm it is you to make this change.');
      }
    }
    assert.deepEqual(wrong, []);
    assert.equal(await snapshot(server), before, 'a refused sensitive change changed something');
    // What only takes access away, or cannot plant anyone, still works without a proof.
    const invitedUser = await company.root.agent.post('/api/company/users', { email: 'carol@stepup.test', username: 'carol', role: 'user' });
    assert.equal(invitedUser.status, 201, JSON.stringify(invitedUser.body));
    const off = await company.root.agent.post(`/api/company/sso/providers/${randomUUID()}/enabled`, { enabled: false });
    assert.equal(off.status, 404, JSON.stringify(off.body));
  });

  test('after POST /api/me/reauth with password and code the change goes through, for 10 minutes', async () => {
    const other = await logInAgain(server, company, company.root);
    await stale(company.root.agent, other.agent);
    assert.equal((await company.root.agent.post(`/api/company/users/${bob.id}/role`, { role: 'master' })).status, 403);
    const { provedUntil } = await proveSession(server, company.root);
    assert.equal(Date.parse(provedUntil), server.clock() + 10 * MINUTE);
    const promoted = await company.root.agent.post(`/api/company/users/${bob.id}/role`, { role: 'master' });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.equal(await roleOf(bob.id), 'master');
    // The stamp is this session's only: another browser of the same user is still stale.
    assert.equal((await other.agent.post(`/api/company/users/${bob.id}/role`, { role: 'user' })).body.error?.code, 'reauth.required');
    // Ten minutes on, the proof has expired.
    server.clock.advance(10 * MINUTE);
    const demoted = await company.root.agent.post(`/api/company/users/${bob.id}/role`, { role: 'user' });
    assert.equal(demoted.status, 403);
    assert.equal(demoted.body.error.code, 'reauth.required');
    assert.equal(await roleOf(bob.id), 'master');
    await proveSession(server, company.root);
    assert.equal((await company.root.agent.post(`/api/company/users/${bob.id}/role`, { role: 'user' })).status, 200);
    assert.equal(await roleOf(bob.id), 'user');
  });

  test('a fresh login is itself a proof', async () => {
    await stale(company.root.agent);
    const fresh = await logInAgain(server, company, company.root);
    const invited = await fresh.agent.post('/api/company/users', { email: 'dave@stepup.test', username: 'dave', role: 'master' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    assert.equal(await roleOf(invited.body.user.id), 'master');
  });

  test('a wrong code or password at POST /api/me/reauth proves nothing and counts toward the lockout', async () => {
    const person = await logInAgain(server, company, alice);
    await stale(person.agent);
    const failedLogins = async () =>
      (await dbOf(server).selectFrom('users').select('failed_logins').where('id', '=', alice.id).executeTakeFirstOrThrow()).failed_logins;
    const wrongCode = totpAt(alice.totpSecret, server.clock(), 5);
    const refused = await person.agent.post('/api/me/reauth', { password: STRONG_PASSWORD, code: wrongCode });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'totp.code_refused');
    assert.equal(await failedLogins(), 1);
    const wrongPassword = await person.agent.post('/api/me/reauth', { ...proofOf(server, alice), password: 'Not-The-Password-1!' });
    assert.equal(wrongPassword.body.error.code, 'password.current_invalid');
    assert.equal(await failedLogins(), 2);
    assert.equal((await person.agent.post(`/api/company/users/${bob.id}/reset-2fa`)).body.error?.code, 'reauth.required');
    // A cookie alone proves nothing: no body, no stamp.
    assert.equal((await person.agent.post('/api/me/reauth', {})).status, 400);
    for (let i = 0; i < 3; i += 1) await person.agent.post('/api/me/reauth', { password: STRONG_PASSWORD, code: totpAt(alice.totpSecret, server.clock(), 5) });
    // The account is now locked: even the right proof is refused.
    const locked = await person.agent.post('/api/me/reauth', proofOf(server, alice));
    assert.equal(locked.status, 429, JSON.stringify(locked.body));
    assert.equal((await person.agent.post(`/api/company/users/${bob.id}/reset-2fa`)).body.error?.code, 'reauth.required');
    await dbOf(server).updateTable('users').set({ failed_logins: 0, locked_until: null }).where('id', '=', alice.id).execute();
  });

  test('a proved session borrowed by a thief dies with the owner\'s recovery, its stamp with it', async () => {
    const owner = await logInAgain(server, company, company.root);
    await stale(owner.agent);
    await proveSession(server, owner);
    const stolen = owner.agent.cookieHeader();
    const thief = server.agent();
    // Password change: every other session ends (this browser gets a new id).
    const changed = await owner.agent.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, confirm: NEW_PASSWORD });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const afterChange = await thief.post('/api/company/users', { email: 'x@attacker.test', username: 'xthief', role: 'master' }, { cookie: stolen });
    assert.equal(afterChange.status, 401);
    // Sign out everywhere: the owner's own session ends too.
    const kept = owner.agent.cookieHeader();
    assert.equal((await owner.agent.post('/api/me/sessions/revoke-all')).status, 200);
    assert.equal((await thief.post('/api/company/users', { email: 'x@attacker.test', username: 'xthief', role: 'master' }, { cookie: kept })).status, 401);
    assert.equal(await dbOf(server).selectFrom('users').select('id').where('username', '=', 'xthief').executeTakeFirst(), undefined);
  });
});
