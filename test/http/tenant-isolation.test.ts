// Tenant isolation of company administration (SECURITY-CHECKS F20, F21): as company A's
// Master, every admin endpoint answers for company B's ids exactly as for an id that does
// not exist, and changes nothing of B's; a company id in headers, query or body is ignored.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const RANDOM_ID = '5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f';

for (const engine of await enginesUnderTest()) describe(`tenant isolation of company administration (${engine})`, () => {
  let server: TestServer;
  let a: SignedInCompany;
  let b: SignedInCompany;
  let amy: Person; // a Master of A (not the Root Master)
  let bob: Person; // an enrolled User of B with a live session
  let beaId: string; // an invited User of B
  let approvalId: string; // a pending 2FA reset in B
  before(async () => {
    server = await startTestServer({ engine });
    const operator = await operatorAgent(server);
    a = await companyWithRootMaster(server, operator, 'Alpha Support', 'root@alpha.test');
    b = await companyWithRootMaster(server, operator, 'Beta Systems', 'root@beta.test');
    amy = await invitedMember(server, a, a.root.agent, { username: 'amy', role: 'master' });
    bob = await invitedMember(server, b, b.root.agent, { username: 'bob', role: 'user' });
    const bea = await b.root.agent.post('/api/company/users', { email: 'bea@beta.test', username: 'bea', role: 'user' });
    beaId = bea.body.user.id;
    await dbOf(server).updateTable('companies').set({ two_person_2fa_reset: 1 }).where('id', '=', b.companyId).execute();
    const pending = await b.root.agent.post(`/api/company/users/${bob.id}/reset-2fa`);
    assert.equal(pending.status, 202);
    approvalId = pending.body.approvalId;
  });
  after(() => server.close());

  /** Everything of B's that an admin endpoint could touch. */
  async function snapshotOfB() {
    const db = dbOf(server);
    const of = (table: 'users' | 'action_links' | 'approvals' | 'sessions' | 'outbox' | 'recovery_codes') =>
      db.selectFrom(table).selectAll().where('company_id', '=', b.companyId).execute();
    const [users, links, approvals, sessions, outbox, codes] = await Promise.all([
      of('users'), of('action_links'), of('approvals'), of('sessions'), of('outbox'), of('recovery_codes'),
    ]);
    const audit = await db.selectFrom('audit_events').select('id').where('company_id', '=', b.companyId).execute();
    return { users, links, approvals, sessions: sessions.map((s) => s.id_hash), outbox: outbox.map((m) => m.id), codes, audit: audit.length };
  }

  const userEndpoints: Array<[string, string, unknown?]> = [
    ['GET', '/api/company/users/:id'],
    ['POST', '/api/company/users/:id/resend-invite', {}],
    ['POST', '/api/company/users/:id/deactivate', {}],
    ['POST', '/api/company/users/:id/reactivate', {}],
    ['POST', '/api/company/users/:id/unlock', {}],
    ['POST', '/api/company/users/:id/reset-2fa', {}],
    ['POST', '/api/company/users/:id/role', { role: 'master' }],
    ['POST', '/api/company/users/:id/transfer-root-master', {}],
    ['POST', '/api/company/users/:id/delete', {}],
  ];
  const approvalEndpoints: Array<[string, string, unknown?]> = [
    ['POST', '/api/company/approvals/:id/approve', {}],
    ['POST', '/api/company/approvals/:id/reject', {}],
  ];

  async function assertSameAsMissing(agent: Agent, endpoints: Array<[string, string, unknown?]>, foreignIds: string[]) {
    for (const [method, template, body] of endpoints) {
      const missing = await agent.request(method, template.replace(':id', RANDOM_ID), body);
      assert.deepEqual([missing.status, missing.body.error?.code], [404, 'request.not_found'], template);
      for (const id of [...foreignIds, 'not-a-uuid']) {
        const answer = await agent.request(method, template.replace(':id', id), body);
        assert.equal(answer.status, missing.status, `${method} ${template} with ${id}`);
        assert.deepEqual(answer.body, missing.body, `${method} ${template} with ${id}`);
      }
    }
  }

  test("A's Root Master and A's Master get the same 404 for B's users and approvals as for missing ids, and B is untouched", async () => {
    const before = await snapshotOfB();
    for (const agent of [a.root.agent, amy.agent]) {
      await assertSameAsMissing(agent, userEndpoints, [bob.id, beaId, b.root.id]);
      await assertSameAsMissing(agent, approvalEndpoints, [approvalId]);
    }
    assert.deepEqual(await snapshotOfB(), before);
    assert.equal((await bob.agent.get('/api/me')).status, 200, "B's user is still signed in");
    assert.equal((await b.root.agent.get('/api/me')).status, 200);
  });

  test("A's lists show only A; B's Masters still see their own", async () => {
    const users = (await a.root.agent.get('/api/company/users')).body.users as any[];
    assert.deepEqual(users.map((u) => u.username).sort(), [a.root.username, 'amy'].sort());
    assert.deepEqual((await amy.agent.get('/api/company/approvals')).body.approvals, []);
    const ofB = (await b.root.agent.get('/api/company/users')).body.users as any[];
    assert.deepEqual(ofB.map((u) => u.username).sort(), [b.root.username, 'bea', 'bob'].sort());
    assert.deepEqual((await b.root.agent.get('/api/company/approvals')).body.approvals.map((x: any) => x.id), [approvalId]);
  });

  test('a company id in a header, the query or the body never chooses the company', async () => {
    const before = await snapshotOfB();
    const spoof = { 'x-company-id': b.companyId, 'x-tenant-id': b.companyId };
    for (const path of ['/api/company/users', `/api/company/users?companyId=${b.companyId}`, `/api/company/users?company_id=${b.companyId}`]) {
      const users = (await a.root.agent.get(path, spoof)).body.users as any[];
      assert.ok(!users.some((u) => [bob.id, beaId, b.root.id].includes(u.id)), path);
    }
    assert.equal((await a.root.agent.get(`/api/company/users/${bob.id}?companyId=${b.companyId}`, spoof)).status, 404);
    const deactivate = await amy.agent.post(`/api/company/users/${bob.id}/deactivate?companyId=${b.companyId}`, { companyId: b.companyId }, spoof);
    assert.equal(deactivate.status, 404);
    const approve = await amy.agent.post(`/api/company/approvals/${approvalId}/approve`, { companyId: b.companyId }, spoof);
    assert.equal(approve.status, 404);

    const invited = await a.root.agent.post('/api/company/users', { email: 'zed@alpha.test', username: 'zed', role: 'user', companyId: b.companyId }, spoof);
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const bulk = await a.root.agent.post('/api/company/users/bulk-invite', { csv: 'email,username,role,companyId\nyan@alpha.test,yan,user,' + b.companyId, companyId: b.companyId }, spoof);
    assert.equal(bulk.body.invited, 1, JSON.stringify(bulk.body));
    const created = await dbOf(server).selectFrom('users').select(['username', 'company_id']).where('username', 'in', ['zed', 'yan']).execute();
    assert.deepEqual(created.map((u) => u.company_id), [a.companyId, a.companyId]);
    assert.deepEqual(await snapshotOfB(), before);
  });
});
