// Deleting a user, over HTTP, on both engines. A Master who holds one of everything that
// can hang off a user (a session, an unfinished login in another browser, recovery codes,
// a security key and a ceremony left open, a group, 2FA resets waiting about them and
// asked by them, Sign Up, reset and email-change links, module tokens, an API client's
// secret, an invitation sent) is deleted from the console, and a user through /api/v1:
// the answer is 200, the user is gone, no row of theirs is left and nothing they held
// works. The audit trail stays. The last test reads the database's own columns: each
// one that names a user is either removed with the user (deleteUser's BELONGINGS,
// src/users/lifecycle.ts) or kept on purpose (KEPT there), so a new one fails here
// until someone decides which.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { accountIdOf } from '../../src/modules/oidc/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { apiClient, callApi, requestToken, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, invitedMember, inviteMail, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest, type Engine } from '../helpers/databases.ts';
import { STRONG_PASSWORD, tokenIn } from '../helpers/journey.ts';
import { client, grantedModule, signInToModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const RESET_SUBJECT = 'Reset your Gatehouse password';

/** Columns that name a user (by id, or as a module's account id), found by name. */
const NAMES_A_USER = /(^|_)user_id$|^account_id$|_by$|^actor_id$|^inviter_id$|^secret_holder$|^target$/;

/** Removed with the user, by deleteUser's BELONGINGS. */
const REMOVED_COLUMNS = [
  'sessions.user_id',
  'login_flows.user_id',
  'action_links.user_id',
  'recovery_codes.user_id',
  'webauthn_credentials.user_id',
  'webauthn_challenges.user_id',
  'group_members.user_id',
  'user_idempotency_keys.user_id',
  'module_grant_sessions.user_id',
  'module_grant_sessions.account_id',
  'oidc_records.account_id',
  // The pending ones; decided approvals stay as history.
  'approvals.target_user_id',
  'approvals.requested_by',
];

/** Kept on purpose: see KEPT in src/users/lifecycle.ts for why each. */
const KEPT_COLUMNS = [
  'audit_events.actor_id',
  'audit_events.target',
  'approvals.decided_by',
  'invitation_mail.inviter_id',
  'users.invited_by',
  'api_clients.created_by',
  'api_clients.secret_holder',
  'backchannel_outbox.account_id',
  'account_requests.decided_by',
  'outbox.user_id',
];

async function columnsOf(server: TestServer, engine: Engine): Promise<string[]> {
  const db = dbOf(server);
  const query =
    engine === 'sqlite'
      ? sql<{ table_name: string; column_name: string }>`select m.name as table_name, p.name as column_name from sqlite_master m join pragma_table_info(m.name) p where m.type = 'table'`
      : sql<{ table_name: string; column_name: string }>`select table_name, column_name from information_schema.columns where table_schema = current_schema()`;
  return (await query.execute(db)).rows.map((r) => `${r.table_name}.${r.column_name}`);
}

for (const engine of await enginesUnderTest()) describe(`deleting a user (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let operator: Agent;
  let module: Awaited<ReturnType<typeof grantedModule>>;

  before(async () => {
    // The real clock: a module's client library checks its tokens' times against it.
    server = await startTestServer({ engine, realClock: true });
    operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Deletion Co', 'root@deletion.test');
    module = await grantedModule(server, operator, acme.companyId, { name: 'Ticketing' });
    assert.equal((await acme.root.agent.post('/api/company/policy', { twoPerson2faReset: true })).status, 200);
  });
  after(() => server.close());

  /** How many rows of each kind that hangs off a user `userId` has. */
  async function holdings(userId: string) {
    const db = dbOf(server);
    const count = async (query: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => Number((await query.executeTakeFirstOrThrow()).n);
    const byUser = <T extends 'sessions' | 'login_flows' | 'action_links' | 'recovery_codes' | 'webauthn_credentials' | 'webauthn_challenges' | 'group_members' | 'module_grant_sessions'>(table: T) =>
      count(db.selectFrom(table as 'sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId));
    const pending = (column: 'target_user_id' | 'requested_by') =>
      count(db.selectFrom('approvals').select((eb) => eb.fn.countAll<number>().as('n')).where(column, '=', userId).where('status', '=', 'pending'));
    return {
      sessions: await byUser('sessions'),
      unfinishedLogins: await byUser('login_flows'),
      links: await byUser('action_links'),
      recoveryCodes: await byUser('recovery_codes'),
      keys: await byUser('webauthn_credentials'),
      keyCeremonies: await byUser('webauthn_challenges'),
      groups: await byUser('group_members'),
      moduleGrants: await byUser('module_grant_sessions'),
      moduleTokens: await count(db.selectFrom('oidc_records').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountIdOf(acme.companyId, userId))),
      approvalsAboutThem: await pending('target_user_id'),
      approvalsAskedByThem: await pending('requested_by'),
    };
  }

  async function addKey(person: Person) {
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await person.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await person.agent.post('/api/me/security-keys', { response: key.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    // A second ceremony, never finished: its challenge waits on the server.
    assert.equal((await person.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD })).status, 200);
    return key;
  }

  async function addToGroup(person: Person, name: string) {
    const group = await acme.root.agent.post('/api/company/groups', { name });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const added = await acme.root.agent.post(`/api/company/groups/${group.body.group.id}/members`, { userId: person.id });
    assert.equal(added.status, 200, JSON.stringify(added.body));
  }

  async function assertGone(person: Person) {
    assert.equal((await acme.root.agent.get(`/api/company/users/${person.id}`)).status, 404, 'the user is gone');
    assert.equal((await person.agent.get('/api/me')).status, 401, 'their session ended');
    const left = await holdings(person.id);
    assert.deepEqual(left, Object.fromEntries(Object.keys(left).map((k) => [k, 0])), 'nothing of theirs is left');
    const trail = await dbOf(server).selectFrom('audit_events').select(['action', 'detail']).where('company_id', '=', acme.companyId).where('target', '=', person.id).execute();
    const deleted = trail.find((e) => e.action === 'user.deleted');
    assert.equal(JSON.parse(deleted?.detail ?? '{}').username, person.username, 'the audit trail keeps them');
  }

  test('a Master who holds one of everything is deleted from the console: 200, and nothing of theirs is left or works', async () => {
    const root = acme.root.agent;
    const mara = await invitedMember(server, acme, root, { username: 'mara', role: 'master', email: 'mara@deletion.test' });
    const uma = await invitedMember(server, acme, root, { username: 'uma', role: 'user' });
    const maraKey = await addKey(mara);
    await addToGroup(mara, 'Service Desk');

    // 2FA resets waiting for a second Master: one about Mara, one Mara asked for.
    assert.equal((await root.post(`/api/company/users/${mara.id}/reset-2fa`)).status, 202);
    assert.equal((await mara.agent.post(`/api/company/users/${uma.id}/reset-2fa`)).status, 202);

    // Links: a password reset to her address, an email change (confirm and cancel).
    assert.equal((await server.agent().post('/api/login/forgot-password', { username: 'mara', companyName: acme.companyName })).status, 200);
    const resetMail = await server.mail.waitFor((m) => m.subject === RESET_SUBJECT && m.to.includes('mara@deletion.test'));
    assert.equal((await mara.agent.post('/api/me/email', { email: 'mara@elsewhere.test', password: STRONG_PASSWORD })).status, 200);
    const confirmMail = await server.mail.waitFor((m) => m.to.includes('mara@elsewhere.test'));
    const noticeMail = await server.mail.waitFor((m) => m.to.includes('mara@deletion.test') && m.text.includes('/cancel-email/'));

    // A login stopped at the code step in another browser.
    const halfway = server.agent();
    assert.equal((await halfway.post('/api/login/identify', { username: 'mara', companyName: acme.companyName })).status, 200);
    assert.equal((await halfway.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');

    // Module tokens, an API client whose secret she holds, an invitation she sent.
    const signedIn = await signInToModule(module.config, mara.agent, { scope: 'openid profile email company offline_access' });
    // Made with proof: her password and her key (on the real clock a code would wait for the next step).
    const keyOptions = await mara.agent.post('/api/me/reauth/key-options');
    assert.equal(keyOptions.status, 200, JSON.stringify(keyOptions.body));
    const made = await mara.agent.post('/api/company/api-clients', { name: "Mara's sync", scopes: ['users:read'], password: STRONG_PASSWORD, key: maraKey.assert(keyOptions.body) });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { client: apiClientView, clientSecret } = made.body;
    const apiToken = await tokenFor(server, apiClientView.clientId, clientSecret);
    const usersPath = `/api/v1/companies/${acme.companyId}/users`;
    assert.equal((await callApi(server, usersPath, apiToken)).status, 200);
    assert.equal((await mara.agent.post('/api/company/users', { email: 'ivy@deletion.test', username: 'ivy', role: 'user' })).status, 201);
    await inviteMail(server, acme.companyName, 'ivy@deletion.test');

    const held = await holdings(mara.id);
    for (const [kind, n] of Object.entries(held)) assert.ok(n > 0, `Mara holds ${kind} before the deletion`);

    const deleted = await root.post(`/api/company/users/${mara.id}/delete`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    await assertGone(mara);

    // Nothing she held works: links, the unfinished login, module tokens, the API client.
    assert.equal((await server.agent().get(`/api/password-reset/${tokenIn(resetMail.text, 'reset-password')}`)).status, 410);
    assert.equal((await server.agent().post('/api/me/email/confirm', { token: tokenIn(confirmMail.text, 'confirm-email') })).status, 410);
    assert.equal((await server.agent().post('/api/me/email/cancel', { token: tokenIn(noticeMail.text, 'cancel-email') })).status, 410);
    assert.notEqual((await halfway.post('/api/login/totp', { code: '000000' })).status, 200);
    assert.equal((await client.tokenIntrospection(module.config, signedIn.tokens.access_token)).active, false, 'module access token');
    assert.equal((await client.tokenIntrospection(module.config, signedIn.tokens.refresh_token as string)).active, false, 'module refresh token');
    assert.equal((await callApi(server, usersPath, apiToken)).status, 401, 'the API client she held stops');
    assert.equal((await requestToken(server, apiClientView.clientId, clientSecret)).body.error, 'invalid_client');

    // What stays: the client's row (for a Master to rotate), the invitation, approvals nobody waits on.
    const listed = (await root.get('/api/company/api-clients')).body.clients.find((c: { clientId: string }) => c.clientId === apiClientView.clientId);
    assert.equal(listed?.holderLeft, true);
    const ivy = (await root.get('/api/company/users')).body.users.find((u: { username: string }) => u.username === 'ivy');
    assert.equal(ivy?.invitedBy, null, "the inviter's name is gone with her");
    assert.deepEqual((await root.get('/api/company/approvals')).body.approvals, [], 'no reset waits on her, about her or asked by her');
  });

  test('a user with a key, a group and a session is deleted through /api/v1: 200, and nothing of theirs is left', async () => {
    const vic = await invitedMember(server, acme, acme.root.agent, { username: 'vic', role: 'user' });
    await addKey(vic);
    await addToGroup(vic, 'Field Team');
    const { client: v1Client, clientSecret } = await apiClient(server, { scopes: ['users:write'], companyId: acme.companyId });
    const token = await tokenFor(server, v1Client.clientId, clientSecret);

    const deleted = await sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/users/${vic.id}/delete`, token);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    await assertGone(vic);
  });

  test('every column that names a user is either removed with the user or kept on purpose', async () => {
    const naming = (await columnsOf(server, engine)).filter((column) => NAMES_A_USER.test(column.split('.')[1] ?? ''));
    const placed = new Set([...REMOVED_COLUMNS, ...KEPT_COLUMNS]);
    const unplaced = naming.filter((column) => !placed.has(column));
    assert.deepEqual(unplaced, [], 'add these to BELONGINGS or KEPT in src/users/lifecycle.ts, and to this file');
    for (const column of placed) assert.ok(naming.includes(column), `${column} is no longer in the database`);
  });
});
