// The audit trail keeps its actor's name once the actor is deleted (docs/API.md: deleting
// a user, "the audit trail keeps their name"). A Master who removes a rogue Master must
// still read, in the trail, who weakened the policy and who signed in: the events that
// person made are the ones the Master reads it for. The name is kept at the deletion
// (former_users, migration 0036) and joined where the users row is gone
// (src/audit/query.ts), for every event, whatever its detail recorded.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, invitedMember, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { csvRecords } from '../helpers/csv.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

for (const engine of await enginesUnderTest()) describe(`audit trail: a deleted actor keeps their name (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let mallory: Person;

  before(async () => {
    server = await startTestServer({ engine });
    const operator = await signedInOperator(server);
    company = await companyWithRootMaster(server, operator.agent, 'Trail Names Co', 'root@trailnames.test');
    // Mallory, a Master, signs in and weakens the policy; then the Root Master deletes her.
    mallory = await invitedMember(server, company, company.root.agent, { username: 'mallory', role: 'master' });
    const saved = await withFreshProof(server, mallory.agent, () => mallory.agent.post('/api/company/policy', { lockoutThreshold: 20 }));
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const deleted = await withFreshProof(server, company.root.agent, () => company.root.agent.post(`/api/company/users/${mallory.id}/delete`, {}));
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  });
  after(() => server?.close());

  test("the deleted Master's own events (policy.changed, login.succeeded) still name her, in JSON and CSV", async () => {
    const page = await company.root.agent.get('/api/company/audit?limit=500');
    assert.equal(page.status, 200);
    const events = page.body.events as any[];
    assert.ok(events.some((e) => e.action === 'user.deleted' && e.target === mallory.id && e.detail.username === 'mallory'));
    const policy = events.find((e) => e.action === 'policy.changed' && e.actor?.id === mallory.id);
    const login = events.find((e) => e.action === 'login.succeeded' && e.actor?.id === mallory.id);
    assert.ok(policy && login);
    assert.equal(policy.actor.username, 'mallory', 'who changed the policy');
    assert.equal(login.actor.username, 'mallory', 'who signed in');
    const csv = csvRecords((await company.root.agent.get('/api/company/audit.csv')).body);
    const row = csv.find((r) => r.action === 'policy.changed' && r.actor_id === mallory.id);
    assert.equal(row?.actor_username, 'mallory');
  });
});
