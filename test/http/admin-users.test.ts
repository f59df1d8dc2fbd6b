// Company administration by Masters over HTTP: invitations by mail through to a signed-in,
// enrolled user; resend; deactivate, reactivate, delete, unlock, 2FA reset; roles and the
// Root Master transfer; and who may do what to whom.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import {
  companyWithRootMaster,
  dbOf,
  inviteMail,
  invitedMember,
  inviteSubject,
  logInAgain,
  operatorAgent,
  type Person,
  type SignedInCompany,
} from '../helpers/company-admin.ts';
import { logIn, signUp, STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { UNLOCK_CAP } from '../../src/users/lifecycle.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const COMPANY = `O'Brien & <Sons> IT`;

for (const engine of await enginesUnderTest()) describe(`company administration (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let root: Agent;
  let mia: Person; // a Master
  let uma: Person; // a User
  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), COMPANY, 'root@obrien.test');
    root = company.root.agent;
  });
  after(() => server.close());

  const listed = async (agent: Agent = root) => {
    const answer = await agent.get('/api/company/users');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.users as any[];
  };
  const find = async (username: string) => (await listed()).find((u) => u.username === username);
  const me = (agent: Agent) => agent.get('/api/me').then((a) => a.status);
  const userRow = (id: string) => dbOf(server).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

  test('an invited Master signs up through the invite mail, logs in and enrolls', async () => {
    const invited = await root.post('/api/company/users', { email: 'mia@obrien.test', username: 'mia', role: 'master', displayName: 'Mia <M>' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    assert.equal(invited.body.user.status, 'invited');
    assert.equal(invited.body.user.invitedBy.username, company.root.username);
    assert.ok(invited.body.user.invite.expiresAt);

    const { mail, link } = await inviteMail(server, COMPANY, 'mia@obrien.test');
    assert.equal(mail.subject, inviteSubject(COMPANY));
    assert.ok(mail.html.includes('&#60;Sons&#62;') && !mail.html.includes('<Sons>'), 'names are escaped in HTML');
    assert.match(mail.html, /<a href="http:\/\/localhost:\d+\/signup\/[A-Za-z0-9_-]{43}"[^>]*>Sign Up<\/a>/);
    assert.ok(mail.text.includes(link) && mail.text.includes('mia'));
    const described = await server.agent().get(`/api/signup/${tokenFromLink(link)}`);
    assert.deepEqual([described.status, described.body.username, described.body.companyName], [200, 'mia', COMPANY]);

    await signUp(server, link);
    assert.equal((await find('mia')).status, 'not_enrolled');
    const agent = server.agent();
    const { totpSecret } = await logIn(server, agent, { username: 'mia', companyName: COMPANY, password: STRONG_PASSWORD });
    mia = { id: invited.body.user.id, username: 'mia', agent, totpSecret };
    const row = await find('mia');
    assert.deepEqual([row.status, row.role, row.displayName, row.locked, row.invite], ['active', 'master', 'Mia <M>', false, null]);
    assert.ok(row.lastLoginAt && row.createdAt && typeof row.ageHours === 'number');
    assert.equal((await agent.get('/api/me')).body.user.role, 'master');
    uma = await invitedMember(server, company, mia.agent, { username: 'uma', role: 'user' });
  });

  test('usernames are unique per company; the Root Master role is never invited; bad input is refused', async () => {
    const taken = await root.post('/api/company/users', { email: 'x@obrien.test', username: 'MIA', role: 'user' });
    assert.deepEqual([taken.status, taken.body.error.code], [409, 'user.username_taken']);
    const rootRole = await root.post('/api/company/users', { email: 'x@obrien.test', username: 'xavier', role: 'root_master' });
    assert.deepEqual([rootRole.status, Object.keys(rootRole.body.error.fields)], [400, ['role']]);
    const bad = await root.post('/api/company/users', { email: 'not-an-email', username: 'a b', role: 'user' });
    assert.deepEqual(Object.keys(bad.body.error.fields).sort(), ['email', 'username']);
    assert.equal((await find('xavier')), undefined);
  });

  test('Users get 403 on every admin endpoint, signed-out requests 401', async () => {
    for (const [method, path] of [['GET', '/api/company/users'], ['POST', '/api/company/users'], ['POST', `/api/company/users/${mia.id}/deactivate`], ['GET', '/api/company/approvals']]) {
      const answer = await uma.agent.request(method as string, path as string, method === 'POST' ? {} : undefined);
      assert.deepEqual([answer.status, answer.body.error.code], [403, 'auth.forbidden'], `${method} ${path}`);
      assert.equal((await server.agent().request(method as string, path as string, method === 'POST' ? {} : undefined)).status, 401);
    }
  });

  test('resend revokes the earlier link; a signed-up user has nothing to resend', async () => {
    const invited = await root.post('/api/company/users', { email: 'rex@obrien.test', username: 'rex', role: 'user' });
    const first = await inviteMail(server, COMPANY, 'rex@obrien.test');
    const resent = await root.post(`/api/company/users/${invited.body.user.id}/resend-invite`);
    assert.equal(resent.status, 200, JSON.stringify(resent.body));
    const second = await inviteMail(server, COMPANY, 'rex@obrien.test', 1);
    assert.notEqual(first.link, second.link);
    assert.equal((await server.agent().get(`/api/signup/${tokenFromLink(first.link)}`)).status, 410);
    assert.equal((await server.agent().get(`/api/signup/${tokenFromLink(second.link)}`)).status, 200);
    const signedUp = await root.post(`/api/company/users/${mia.id}/resend-invite`);
    assert.deepEqual([signedUp.status, signedUp.body.error.code], [409, 'user.already_signed_up']);

    // Deactivating an invited user revokes the link too, so they cannot sign up meanwhile.
    assert.equal((await root.post(`/api/company/users/${invited.body.user.id}/deactivate`)).status, 200);
    assert.equal((await server.agent().get(`/api/signup/${tokenFromLink(second.link)}`)).status, 410);
    assert.equal((await root.post(`/api/company/users/${invited.body.user.id}/reactivate`)).status, 200);
    assert.equal((await find('rex')).status, 'invited');
  });

  test('deactivation ends the session at once and refuses logins; reactivation restores them', async () => {
    assert.equal(await me(uma.agent), 200);
    assert.equal((await mia.agent.post(`/api/company/users/${uma.id}/deactivate`)).status, 200);
    assert.equal(await me(uma.agent), 401);
    assert.equal((await find('uma')).status, 'disabled');
    const again = server.agent();
    await again.post('/api/login/identify', { username: 'uma', companyName: COMPANY });
    const refused = await again.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.deepEqual([refused.status, refused.body.error.code], [401, 'login.invalid_credentials']);
    assert.equal((await mia.agent.post(`/api/company/users/${uma.id}/reactivate`)).status, 200);
    uma = await logInAgain(server, company, uma);
    assert.equal(await me(uma.agent), 200);
  });

  test('nobody deactivates or deletes themselves; a Master cannot act on the Root Master', async () => {
    for (const action of ['deactivate', 'delete']) {
      const self = await root.post(`/api/company/users/${company.root.id}/${action}`);
      assert.deepEqual([self.status, self.body.error.code], [409, 'user.self_action']);
      assert.equal((await mia.agent.post(`/api/company/users/${mia.id}/${action}`)).status, 409);
    }
    for (const action of ['deactivate', 'delete', 'unlock', 'reset-2fa', 'resend-invite', 'reactivate']) {
      const answer = await mia.agent.post(`/api/company/users/${company.root.id}/${action}`);
      assert.deepEqual([answer.status, answer.body.error.code], [403, 'user.root_master_protected'], action);
    }
    const demote = await mia.agent.post(`/api/company/users/${company.root.id}/role`, { role: 'user' });
    assert.equal(demote.body.error.code, 'user.root_master_protected');
    const transfer = await mia.agent.post(`/api/company/users/${uma.id}/transfer-root-master`);
    assert.deepEqual([transfer.status, transfer.body.error.code], [403, 'user.root_master_only']);
    assert.equal((await userRow(company.root.id))?.status, 'active');
    assert.equal(await me(root), 200);
  });

  test('unlock clears the failed attempts and the lock', async () => {
    const guesser = server.agent();
    await guesser.post('/api/login/identify', { username: 'uma', companyName: COMPANY });
    for (let i = 0; i < 5; i += 1) assert.equal((await guesser.post('/api/login/password', { password: 'Wrong-Guess-99!' })).status, 401);
    assert.equal((await find('uma')).locked, true);
    const locked = server.agent();
    await locked.post('/api/login/identify', { username: 'uma', companyName: COMPANY });
    assert.equal((await locked.post('/api/login/password', { password: STRONG_PASSWORD })).status, 401);

    assert.equal((await root.post(`/api/company/users/${uma.id}/unlock`)).status, 200);
    const row = await userRow(uma.id);
    assert.deepEqual([row?.failed_logins, row?.locked_until], [0, null]);
    assert.equal((await find('uma')).locked, false);
    uma = await logInAgain(server, company, uma);
  });

  // Each unlock gives whoever knows the password a fresh set of guesses at the code (wrong
  // passwords and wrong codes share the count): unlocks of one user are capped, so a
  // Master's session, or an API client, cannot lift the lockout's bound on guessing.
  test('one user is unlocked at most three times an hour; past that the lock stays', async () => {
    const ulla = await invitedMember(server, company, root, { username: 'ulla', role: 'user' });
    const locked = () => dbOf(server).updateTable('users').set({ failed_logins: 5, locked_until: server.clock() + 15 * 60_000 }).where('id', '=', ulla.id).execute();
    assert.equal((await root.post(`/api/company/users/${ulla.id}/unlock`)).status, 200, 'an unlock of nothing counts for nothing');
    for (let i = 0; i < UNLOCK_CAP.limit; i += 1) {
      await locked();
      assert.equal((await root.post(`/api/company/users/${ulla.id}/unlock`)).status, 200, `unlock ${i + 1}`);
    }
    await locked();
    const refused = await root.post(`/api/company/users/${ulla.id}/unlock`);
    assert.deepEqual([refused.status, refused.body.error.code], [429, 'user.unlock_limited']);
    assert.equal((await find('ulla')).locked, true, 'the lock stays');
    const other = await root.post(`/api/company/users/${uma.id}/unlock`);
    assert.equal(other.status, 200, "another user's unlocks are counted apart");
  });

  test('a 2FA reset clears the secret and recovery codes, ends sessions, and the user enrolls again', async () => {
    await dbOf(server)
      .insertInto('recovery_codes')
      .values({ id: crypto.randomUUID(), company_id: company.companyId, user_id: uma.id, code_hash: 'x', used_at: null, created_at: server.clock() })
      .execute();
    const reset = await root.post(`/api/company/users/${uma.id}/reset-2fa`);
    assert.deepEqual([reset.status, reset.body], [200, { status: 'reset' }]);
    assert.equal(await me(uma.agent), 401);
    const row = await userRow(uma.id);
    assert.deepEqual([row?.totp_secret, row?.totp_enrolled_at, row?.totp_last_step], [null, null, null]);
    const codes = await dbOf(server).selectFrom('recovery_codes').select('id').where('user_id', '=', uma.id).execute();
    assert.equal(codes.length, 0);
    assert.equal((await find('uma')).status, 'not_enrolled');
    const twice = await root.post(`/api/company/users/${uma.id}/reset-2fa`);
    assert.deepEqual([twice.status, twice.body.error.code], [409, 'user.not_enrolled']);

    const agent = server.agent();
    await agent.post('/api/login/identify', { username: 'uma', companyName: COMPANY });
    assert.equal((await agent.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'mail_code', 'a reset by a Master: the mailed code before the enrollment');
    const enrolled = await logIn(server, server.agent(), { username: 'uma', companyName: COMPANY, password: STRONG_PASSWORD });
    assert.notEqual(enrolled.totpSecret, uma.totpSecret);
    uma = await logInAgain(server, company, { ...uma, totpSecret: enrolled.totpSecret });
  });

  test('Masters change roles; the Root Master transfers the role to an active user and becomes a Master', async () => {
    assert.equal((await root.post(`/api/company/users/${uma.id}/role`, { role: 'master' })).status, 200);
    assert.equal((await uma.agent.get('/api/company/users')).status, 200);
    assert.equal((await root.post(`/api/company/users/${uma.id}/role`, { role: 'user' })).status, 200);
    assert.equal((await uma.agent.get('/api/company/users')).status, 403);
    assert.equal((await root.post(`/api/company/users/${uma.id}/role`, { role: 'root_master' })).status, 400);

    const rex = await find('rex');
    const notReady = await root.post(`/api/company/users/${rex.id}/transfer-root-master`);
    assert.deepEqual([notReady.status, notReady.body.error.code], [409, 'user.not_eligible_root_master']);

    assert.equal((await root.post(`/api/company/users/${mia.id}/transfer-root-master`)).status, 200);
    assert.equal((await mia.agent.get('/api/me')).body.user.role, 'root_master');
    assert.equal((await root.get('/api/me')).body.user.role, 'master');
    const roots = await dbOf(server).selectFrom('users').select('id').where('company_id', '=', company.companyId).where('role', '=', 'root_master').execute();
    assert.deepEqual(roots.map((r) => r.id), [mia.id]);
    assert.equal((await root.post(`/api/company/users/${uma.id}/transfer-root-master`)).body.error.code, 'user.root_master_only');
    assert.equal((await root.post(`/api/company/users/${mia.id}/deactivate`)).body.error.code, 'user.root_master_protected');
    assert.equal((await mia.agent.post(`/api/company/users/${company.root.id}/transfer-root-master`)).status, 200);
    assert.equal((await root.get('/api/me')).body.user.role, 'root_master');
  });

  test('delete removes the user and ends their access; the audit trail keeps the name', async () => {
    const doomed = await invitedMember(server, company, root, { username: 'dora', role: 'user' });
    assert.equal((await root.post(`/api/company/users/${doomed.id}/delete`)).status, 200);
    assert.equal(await me(doomed.agent), 401);
    assert.equal(await userRow(doomed.id), undefined);
    assert.equal((await root.get(`/api/company/users/${doomed.id}`)).status, 404);
    assert.equal((await root.post(`/api/company/users/${doomed.id}/delete`)).status, 404);
    const trail = await dbOf(server).selectFrom('audit_events').selectAll().where('target', '=', doomed.id).orderBy('id').execute();
    const deleted = trail.find((e) => e.action === 'user.deleted');
    assert.equal(JSON.parse(deleted?.detail ?? '{}').username, 'dora');
    assert.ok(trail.some((e) => e.action === 'user.invited'), 'earlier events stay');
    const again = await root.post('/api/company/users', { email: 'dora2@obrien.test', username: 'dora', role: 'user' });
    assert.equal(again.status, 201, 'the username is free again');
  });

  test('with the two-person rule, a 2FA reset waits for a different Master, who approves or rejects it', async () => {
    await dbOf(server).updateTable('companies').set({ two_person_2fa_reset: 1 }).where('id', '=', company.companyId).execute();
    const requested = await root.post(`/api/company/users/${uma.id}/reset-2fa`);
    assert.equal(requested.status, 202, JSON.stringify(requested.body));
    assert.equal(requested.body.status, 'pending');
    const { approvalId } = requested.body;
    assert.ok((await userRow(uma.id))?.totp_secret, 'nothing is reset yet');
    assert.equal(await me(uma.agent), 200);
    const duplicate = await mia.agent.post(`/api/company/users/${uma.id}/reset-2fa`);
    assert.deepEqual([duplicate.status, duplicate.body.error.code], [409, 'approval.already_pending']);

    const seenByRoot = (await root.get('/api/company/approvals')).body.approvals;
    assert.deepEqual(seenByRoot.map((a: any) => [a.id, a.target.username, a.requestedBy.username, a.canApprove]), [[approvalId, 'uma', company.root.username, false]]);
    assert.equal((await mia.agent.get('/api/company/approvals')).body.approvals[0].canApprove, true);
    const own = await root.post(`/api/company/approvals/${approvalId}/approve`);
    assert.deepEqual([own.status, own.body.error.code], [403, 'approval.needs_second_master']);

    assert.equal((await mia.agent.post(`/api/company/approvals/${approvalId}/approve`)).status, 200);
    assert.equal(await me(uma.agent), 401);
    assert.equal((await userRow(uma.id))?.totp_secret, null);
    const decided = await mia.agent.post(`/api/company/approvals/${approvalId}/approve`);
    assert.deepEqual([decided.status, decided.body.error.code], [409, 'approval.not_pending']);
    assert.deepEqual((await root.get('/api/company/approvals')).body.approvals, []);

    const enrolled = await logIn(server, server.agent(), { username: 'uma', companyName: COMPANY, password: STRONG_PASSWORD });
    uma = await logInAgain(server, company, { ...uma, totpSecret: enrolled.totpSecret });
    const second = await mia.agent.post(`/api/company/users/${uma.id}/reset-2fa`);
    assert.equal((await root.post(`/api/company/approvals/${second.body.approvalId}/reject`)).status, 200);
    assert.ok((await userRow(uma.id))?.totp_secret, 'a rejected reset changes nothing');
    assert.equal(await me(uma.agent), 200);
    const actions = await dbOf(server).selectFrom('audit_events').select('action').where('target', '=', uma.id).execute();
    for (const action of ['user.2fa_reset_requested', 'user.2fa_reset_approved', 'user.2fa_reset_rejected']) {
      assert.ok(actions.some((a) => a.action === action), action);
    }
  });

  test('every administrative action is in the audit trail with the actor', async () => {
    const events = await dbOf(server).selectFrom('audit_events').select(['action', 'actor_id']).where('company_id', '=', company.companyId).execute();
    const actions = new Set(events.map((e) => e.action));
    for (const action of ['user.invited', 'user.invite_resent', 'user.deactivated', 'user.reactivated', 'user.deleted', 'user.unlocked', 'user.2fa_reset', 'user.role_changed', 'user.root_master_transferred']) {
      assert.ok(actions.has(action), action);
    }
    assert.ok(events.filter((e) => e.action.startsWith('user.') && e.action !== 'user.password_set').every((e) => e.actor_id !== null));
  });
});
