// A client whose secret holder loses the right to hold it (made a User, deactivated) is
// stopped "until a Master rotates the secret" (docs/API.md). Giving the holder their
// rights back (made a Master again, reactivated) does not bring the old secret back: the
// end of the hold is recorded when it happens, and only a rotation clears it. The change
// that stopped a client names it in its audit event, so an operator sees which
// integration broke and why.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestToken } from '../helpers/api-clients.ts';
import { companyWithRootMaster, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`a stopped client stays stopped until its secret is rotated (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let n = 0;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Holder Co', 'root@holder.test');
  });
  after(() => server.close());

  const root = () => company.root.agent;
  const listed = async (clientId: string) =>
    (await root().get('/api/company/api-clients')).body.clients.find((c: { clientId: string }) => c.clientId === clientId) as { holderLeft: boolean };
  const ok = (answer: { status: number; body: unknown }) => assert.equal(answer.status, 200, JSON.stringify(answer.body));
  /** The newest audit event of `action` about `target`, as the trail's reader sees it. */
  const auditEvent = async (action: string, target: string) => {
    const page = await root().get(`/api/company/audit?action=${action}&target=${target}`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    const event = (page.body.events as Array<{ detail: Record<string, unknown> | null }>)[0];
    assert.ok(event, `a ${action} event about ${target}`);
    return event;
  };

  type Change = (id: string) => Promise<{ status: number; body: unknown }>;
  const cases: Array<[string, Change, string, Change]> = [
    ['made a User, then a Master again', (id) => root().post(`/api/company/users/${id}/role`, { role: 'user' }), 'user.role_changed', (id) => root().post(`/api/company/users/${id}/role`, { role: 'master' })],
    ['deactivated, then reactivated', (id) => root().post(`/api/company/users/${id}/deactivate`), 'user.deactivated', (id) => root().post(`/api/company/users/${id}/reactivate`)],
  ];
  for (const [what, end, ended, restore] of cases) {
    test(`the holder ${what}: the old secret stays refused; a rotation brings the client back`, async () => {
      n += 1;
      const hal: Person = await invitedMember(server, company, root(), { username: `hal${n}`, role: 'master' });
      const made = await hal.agent.post('/api/company/api-clients', { name: `sync ${n}`, scopes: ['users:read'], ...proofOf(server, hal) });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const { clientId } = made.body.client as { clientId: string };
      const secret = made.body.clientSecret as string;
      assert.equal((await requestToken(server, clientId, secret)).status, 200);

      ok(await end(hal.id));
      assert.equal((await requestToken(server, clientId, secret)).status, 401);
      assert.equal((await listed(clientId)).holderLeft, true);
      const stopped = (await auditEvent(ended, hal.id)).detail?.apiClientsStopped;
      assert.deepEqual(stopped, [{ clientId, name: `sync ${n}` }], `the ${ended} event names the client it stopped`);

      ok(await restore(hal.id));
      if (ended === 'user.role_changed') {
        const promoted = await auditEvent(ended, hal.id);
        assert.equal((promoted.detail as { to?: string } | null)?.to, 'master');
        assert.equal(promoted.detail?.apiClientsStopped, undefined, 'a promotion stops nothing, and says nothing of clients');
      }
      const again = await requestToken(server, clientId, secret);
      assert.equal(again.status, 401, `the old secret works again without a rotation: ${JSON.stringify(again.body)}`);
      assert.equal((await listed(clientId)).holderLeft, true, 'the console still says Stopped: rotate secret');

      const rotated = await root().post(`/api/company/api-clients/${clientId}/rotate`, proofOf(server, company.root));
      ok(rotated);
      assert.equal((rotated.body as { client: { holderLeft: boolean } }).client.holderLeft, false);
      assert.equal((await requestToken(server, clientId, secret)).status, 401, 'the old secret is gone for good');
      assert.equal((await requestToken(server, clientId, (rotated.body as { clientSecret: string }).clientSecret)).status, 200);
      assert.equal((await listed(clientId)).holderLeft, false);
    });
  }

  test('a deleted holder: the user.deleted event names the clients it stopped, and not the ones it did not', async () => {
    n += 1;
    const dee: Person = await invitedMember(server, company, root(), { username: `dee${n}`, role: 'master' });
    const names = [`nightly export ${n}`, `hr sync ${n}`];
    const ids: string[] = [];
    for (const name of names) {
      const made = await dee.agent.post('/api/company/api-clients', { name, scopes: ['users:read'], ...proofOf(server, dee) });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      ids.push(made.body.client.clientId);
    }
    // Rotated by the Root Master: theirs now, so the deletion does not stop it.
    const keptId = ids[1] as string;
    ok(await root().post(`/api/company/api-clients/${keptId}/rotate`, proofOf(server, company.root)));

    ok(await root().post(`/api/company/users/${dee.id}/delete`));
    assert.equal((await listed(keptId)).holderLeft, false);
    const stopped = (await auditEvent('user.deleted', dee.id)).detail?.apiClientsStopped;
    assert.deepEqual(stopped, [{ clientId: ids[0], name: names[0] }]);
  });

  test('promoting a User to Master ends no hold: the clients of the Masters around them go on', async () => {
    n += 1;
    const kim: Person = await invitedMember(server, company, root(), { username: `kim${n}`, role: 'user' });
    const made = await root().post('/api/company/api-clients', { name: `root sync ${n}`, scopes: ['users:read'], ...proofOf(server, company.root) });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    ok(await root().post(`/api/company/users/${kim.id}/role`, { role: 'master' }));
    assert.equal((await requestToken(server, made.body.client.clientId, made.body.clientSecret)).status, 200);
    assert.equal((await listed(made.body.client.clientId)).holderLeft, false);
  });
});
