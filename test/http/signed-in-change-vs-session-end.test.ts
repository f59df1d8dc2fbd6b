// A change made from a session that ended while the change was on its way. The guard
// reads the session as the request comes in; the change is written later, in a
// transaction, after anything could have happened in between: the owner signing out
// everywhere from another browser, ending that one session, their Master deactivating
// them. Every transaction of a signed-in write route checks again that its user is active
// (their row locked) and its session still stands (checkSignedInTransactions,
// src/http/audiences.ts), whatever the capability: a display name, a Master's invitation
// (the Master still a Master, only the session gone). Each change here is held before its
// transaction begins, the ending runs meanwhile, then the change goes on: refused, nothing
// written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { logInAgain } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextTransaction, racedAtHold } from '../helpers/held-transaction.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';

for (const engine of await enginesUnderTest()) describe(`a signed-in change against the end of its session (${engine})`, () => {
  let server: TestServer;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine });
    ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Session End Co', emailDomain: 'session-end.test' }));
  });
  after(() => server.close());

  const ok = (answer: { status: number; body: unknown }, what: string) => assert.equal(answer.status, 200, `${what}: ${JSON.stringify(answer.body)}`);
  const refusedAsSignedOut = (answer: { status: number; body: { error?: { code?: string } } }) =>
    assert.deepEqual([answer.status, answer.body.error?.code], [401, 'session.required'], JSON.stringify(answer.body));

  /** The handle of the one other session of the person signed in on `owner`, as their My Sessions shows it. */
  async function otherSession(owner: Agent) {
    const sessions = (await owner.get('/api/me/sessions')).body.sessions as Array<{ id: string; current: boolean }>;
    const others = sessions.filter((session) => !session.current);
    assert.equal(others.length, 1, JSON.stringify(sessions));
    return others[0]!.id;
  }
  const displayNameOf = async (companyId: string, userId: string) =>
    (await server.gatehouse.deps.db.selectFrom('users').select('display_name').where('company_id', '=', companyId).where('id', '=', userId).executeTakeFirstOrThrow()).display_name;

  /** The thief renames the account, held at its transaction while `meanwhile` ends their session: what they got back. */
  const renameWhile = (thief: Agent, meanwhile: () => Promise<void>) =>
    racedAtHold(holdNextTransaction(server, 'at updateProfile'), () => thief.post('/api/me/profile', { displayName: 'Owned By Thief' }), meanwhile);

  test('a display name changed from a stolen session while the owner signs out everywhere: refused, unchanged', async () => {
    const { company, victim, thief } = await tenants.stolenSession();
    const before = await displayNameOf(company.companyId, victim.id);
    const answer = await renameWhile(thief, async () => ok(await victim.agent.post('/api/me/sessions/revoke-all'), 'sign out everywhere'));
    refusedAsSignedOut(answer);
    assert.equal(await displayNameOf(company.companyId, victim.id), before);
  });

  test('a display name changed from a stolen session while the owner ends that one session: refused, unchanged; the owner stays in', async () => {
    const { company, victim, thief } = await tenants.stolenSession();
    const before = await displayNameOf(company.companyId, victim.id);
    const handle = await otherSession(victim.agent);
    const answer = await renameWhile(thief, async () => ok(await victim.agent.post(`/api/me/sessions/${handle}/revoke`), 'ending the session'));
    refusedAsSignedOut(answer);
    assert.equal(await displayNameOf(company.companyId, victim.id), before);
    ok(await victim.agent.get('/api/me'), "the owner's own browser");
  });

  test('a change of a User their Master deactivates meanwhile: refused, unchanged', async () => {
    const { company, victim } = await tenants.stolenSession();
    const before = await displayNameOf(company.companyId, victim.id);
    const answer = await renameWhile(victim.agent, async () => ok(await company.root.agent.post(`/api/company/users/${victim.id}/deactivate`), 'the deactivation'));
    refusedAsSignedOut(answer);
    assert.equal(await displayNameOf(company.companyId, victim.id), before);
  });

  test("a Master's invitation from a stolen session while the Master ends that session: refused, nobody invited", async () => {
    const company = await tenants.signedIn();
    const thief = (await logInAgain(server, company, company.root)).agent;
    const handle = await otherSession(company.root.agent);
    const invite = () => thief.post('/api/company/users', { username: 'planted', role: 'user', email: 'planted@session-end.test' });
    const answer = await racedAtHold(holdNextTransaction(server, '/src/users/invitations.ts'), invite, async () =>
      ok(await company.root.agent.post(`/api/me/sessions/${handle}/revoke`), 'ending the session'),
    );
    refusedAsSignedOut(answer);
    const planted = await server.gatehouse.deps.db.selectFrom('users').select('id').where('company_id', '=', company.companyId).where('username', '=', 'planted').executeTakeFirst();
    assert.equal(planted, undefined, 'no user invited');
    assert.equal(server.mail.messages.filter((m) => m.to.includes('planted@session-end.test')).length, 0, 'no invitation mailed');
  });
});
