// Granting and revoking a module, by an operator in the console and by a platform API
// client: both doors go through one change (src/modules/changes.ts), so both answer an
// unknown company or module "not found" and write nothing. Once, the console's revoke
// answered 200 for a company that does not exist and put a module.revoked event in the
// trail for it, every time it was asked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, company, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { dbOf, operatorAgent } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { storedTestModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const MISSING = '5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f';

for (const engine of await enginesUnderTest()) describe(`module grants: unknown ids on either door (${engine})`, () => {
  let server: TestServer;
  let doors: Array<{ name: string; change: (companyId: string, moduleId: string, verb: 'grant' | 'revoke') => Promise<{ status: number; body: any }> }>;
  let companyId: string;
  let moduleId: string;
  before(async () => {
    server = await startTestServer({ engine });
    const operator = await operatorAgent(server);
    const { client, clientSecret } = await apiClient(server, { scopes: ['modules:write'], companyId: null });
    const token = await tokenFor(server, client.clientId, clientSecret);
    doors = [
      { name: 'console', change: (c, m, verb) => operator.post(`/api/operator/companies/${c}/modules/${m}/${verb}`) },
      { name: 'API', change: (c, m, verb) => sendApi(server, 'POST', `/api/v1/companies/${c}/modules/${m}/${verb}`, token) },
    ];
    companyId = (await company(server, 'Grant Checks', 'gina')).companyId;
    moduleId = (await storedTestModule(server)).module.id;
  });
  after(() => server.close());

  const trail = async (action: string) => (await dbOf(server).selectFrom('audit_events').select('company_id').where('action', '=', action).execute()).map((row) => row.company_id);
  const notFound = (answer: { status: number; body: any }, what: string) => {
    assert.equal(answer.status, 404, `${what}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.code ?? answer.body.error?.code, 'request.not_found', what);
  };

  test('an unknown company or module is not found, granted or revoked, and leaves no event', async () => {
    for (const door of doors) {
      for (const verb of ['grant', 'revoke'] as const) {
        notFound(await door.change(MISSING, moduleId, verb), `${door.name} ${verb}, unknown company`);
        notFound(await door.change(companyId, MISSING, verb), `${door.name} ${verb}, unknown module`);
      }
    }
    assert.deepEqual([...(await trail('module.granted')), ...(await trail('module.revoked'))], []);
  });

  test('revoking what was not granted changes nothing and leaves no event; a real revoke leaves one', async () => {
    for (const door of doors) {
      assert.equal((await door.change(companyId, moduleId, 'revoke')).status, 200, `${door.name}: nothing to revoke`);
    }
    assert.deepEqual(await trail('module.revoked'), []);
    assert.equal((await doors[0]!.change(companyId, moduleId, 'grant')).status, 200);
    assert.equal((await doors[1]!.change(companyId, moduleId, 'revoke')).status, 200);
    assert.deepEqual(await trail('module.revoked'), [companyId]);
  });

  test('granting what is granted already changes nothing and leaves no event', async () => {
    const before = (await trail('module.granted')).length;
    assert.equal((await doors[0]!.change(companyId, moduleId, 'grant')).status, 200);
    for (const door of doors) assert.equal((await door.change(companyId, moduleId, 'grant')).status, 200, `${door.name}: granted already`);
    assert.equal((await trail('module.granted')).length, before + 1, 'one event, for the grant that changed something');
  });
});
