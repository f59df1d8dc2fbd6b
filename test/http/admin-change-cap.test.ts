// A Master's or an operator's changes are each a row or an audit event, in a database
// every company shares, and cost the one making them nothing: before, any Master could
// rename a group back and forth (or an operator suspend a company again and again) at
// request speed, forever. Every state-changing route of those audiences is now counted
// per user, in one place (spendAdminChange, src/http/audiences.ts): past the cap, 429
// admin.rate_limited before the handler reads anything, so nothing changes. Reads, one's
// own settings and other users are not held, nor the user once a window has passed after the full one.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SIGNED_IN_WRITE_CAPS } from '../../src/shared/signed-in-writes.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';

const { limit, windowMs } = SIGNED_IN_WRITE_CAPS.adminChanges;

for (const engine of await enginesUnderTest()) describe(`a Master's or an operator's changes are capped per user (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Capped Co', emailDomain: 'capped.test' });
  });
  after(() => server.close());

  const renames = async (companyId: string) =>
    Number(
      (
        await server.gatehouse.deps.db
          .selectFrom('audit_events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('company_id', '=', companyId)
          .where('action', '=', 'group.renamed')
          .executeTakeFirstOrThrow()
      ).n,
    );

  test('a Master: past the cap every change is refused and changes nothing; reads, My Settings and other Masters go on; the window after the next lets them through', async () => {
    const master = await tenants.member();
    const created = await master.agent.post('/api/company/groups', { name: 'Desk 0' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const groupId = created.body.group.id as string;
    for (let i = 1; i < limit; i++) {
      const renamed = await master.agent.post(`/api/company/groups/${groupId}/rename`, { name: `Desk ${i}` });
      assert.equal(renamed.status, 200, `change ${i + 1}: ${JSON.stringify(renamed.body)}`);
    }

    for (const [path, body] of [
      [`/api/company/groups/${groupId}/rename`, { name: 'Past the cap' }],
      ['/api/company/groups', { name: 'Another desk' }],
      [`/api/company/groups/${groupId}/delete`, {}],
    ] as const) {
      const refused = await master.agent.post(path, body);
      assert.equal(refused.status, 429, `${path}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error.code, 'admin.rate_limited');
    }
    const groups = await master.agent.get('/api/company/groups');
    assert.equal(groups.status, 200, 'reads are not counted');
    assert.deepEqual(groups.body.groups.map((g: { name: string }) => g.name), [`Desk ${limit - 1}`], 'nothing changed');
    assert.equal(await renames(master.companyId), limit - 1, 'the trail holds every change made, no more');
    assert.equal((await master.agent.post('/api/me/profile', { displayName: 'Still me' })).status, 200, 'their own settings are not a Master\'s change');

    const otherMaster = await tenants.member();
    assert.equal((await otherMaster.agent.post('/api/company/groups', { name: 'Desk' })).status, 201, 'the cap is per user');

    // At most `limit` in any window: the changes of a full window still count through the next one.
    server.clock.advance(windowMs);
    const next = await master.agent.post(`/api/company/groups/${groupId}/rename`, { name: 'Next window' });
    assert.equal(next.status, 429, JSON.stringify(next.body));
    server.clock.advance(windowMs);
    const later = await master.agent.post(`/api/company/groups/${groupId}/rename`, { name: 'The window after' });
    assert.equal(later.status, 200, JSON.stringify(later.body));
  });

  test('an operator: refused changes count too, and past the cap a change that would work is refused', async () => {
    server.clock.advance(2 * windowMs); // windows of the operator's own: the approvals above count no more
    const company = await tenants.approved(); // the approval is the operator's first change in it
    const operator = await tenants.operatorAgent();
    for (let i = 1; i < limit; i++) {
      const missing = await operator.post(`/api/operator/requests/${randomUUID()}/reject`, { reason: 'No such request' });
      assert.equal(missing.status, 404, `change ${i + 1}: ${JSON.stringify(missing.body)}`);
    }
    const refused = await operator.post(`/api/operator/companies/${company.companyId}/suspend`, {});
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'admin.rate_limited');
    const companies = await operator.get('/api/operator/companies');
    assert.equal(companies.status, 200);
    const status = companies.body.companies.find((c: { id: string }) => c.id === company.companyId)?.status;
    assert.equal(status, 'active', 'not suspended');
  });
});
