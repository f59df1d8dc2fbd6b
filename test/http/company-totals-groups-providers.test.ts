// Guards the totals of groups (GATEHOUSE_GROUPS_PER_COMPANY) and single sign-on providers
// (GATEHOUSE_SSO_PROVIDERS_PER_COMPANY) one company holds, counted where each row is made
// (createGroup, src/groups/admin.ts; addProvider, src/sso/providers.ts) under the company's
// row lock: without them a company's Masters, or a script with its API client, could add
// rows without end to the database every tenant shares. Checked through HTTP with small
// totals: past a total the console and /api/v1 answer `409 group.too_many` /
// `409 sso_provider.too_many` and write nothing; creates racing for the last slot let one
// through; deleting a group or removing a provider frees its slot.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const GROUPS = 3;
const PROVIDERS = 2;

for (const engine of await enginesUnderTest()) describe(`a company's groups and identity providers have totals (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let idp: TestIdp;
  let companies = 0;

  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_GROUPS_PER_COMPANY: String(GROUPS), GATEHOUSE_SSO_PROVIDERS_PER_COMPANY: String(PROVIDERS) } });
    operator = await operatorAgent(server);
    idp = makeIdp();
  });
  after(() => server?.close());

  async function freshCompany(): Promise<SignedInCompany> {
    companies += 1;
    return companyWithRootMaster(server, operator, `Row Counters ${companies}`, `root${companies}@row-counters.test`);
  }
  const count = async (table: 'groups' | 'sso_providers', company: SignedInCompany) =>
    (await dbOf(server).selectFrom(table).select('id').where('company_id', '=', company.companyId).execute()).length;
  const refused = (answer: { status: number; body: any }, code: string) => {
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.equal(answer.body.error?.code ?? answer.body.code, code, JSON.stringify(answer.body));
  };

  describe('groups', () => {
    const create = (company: SignedInCompany, name: string) => company.root.agent.post('/api/company/groups', { name });

    test('past the total the console and /api/v1 are refused; deleting a group frees its slot', async () => {
      const acme = await freshCompany();
      const made = [];
      for (let i = 0; i < GROUPS; i++) {
        const answer = await create(acme, `Team ${i}`);
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        made.push(answer.body.group.id as string);
      }
      const over = await create(acme, 'One too many');
      refused(over, 'group.too_many');
      assert.match(over.body.error.message, /as many groups as a company may hold/);

      const { client, clientSecret } = await apiClient(server, { scopes: ['users:write'], companyId: acme.companyId });
      const token = await tokenFor(server, client.clientId, clientSecret);
      refused(await sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/groups`, token, { name: 'From a script' }), 'group.too_many');
      assert.equal(await count('groups', acme), GROUPS, 'a refused create writes nothing');

      assert.equal((await acme.root.agent.post(`/api/company/groups/${made[0]}/delete`)).status, 200);
      assert.equal((await create(acme, 'In its place')).status, 201);
      refused(await create(acme, 'Still too many'), 'group.too_many');
    });

    // By different actors (the Master and API clients of the company), whose requests
    // nothing else makes take turns: a Master's own requests wait for one another already.
    test('creates racing for the last slot: one passes', async () => {
      const acme = await freshCompany();
      for (let i = 0; i < GROUPS - 1; i++) assert.equal((await create(acme, `Team ${i}`)).status, 201);
      const tokens = [];
      for (let i = 0; i < 4; i++) {
        const { client, clientSecret } = await apiClient(server, { name: `Script ${i}`, scopes: ['users:write'], companyId: acme.companyId });
        tokens.push(await tokenFor(server, client.clientId, clientSecret));
      }
      const answers = await Promise.all([
        create(acme, 'Racer'),
        ...tokens.map((token, i) => sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/groups`, token, { name: `Script racer ${i}` })),
      ]);
      const codes = answers.map((a) => (a.status === 201 ? 'made' : (a.body.error?.code ?? a.body.code)));
      assert.deepEqual(codes.sort(), ['group.too_many', 'group.too_many', 'group.too_many', 'group.too_many', 'made'], JSON.stringify(answers.map((a) => a.body)));
      assert.equal(await count('groups', acme), GROUPS);
    });
  });

  describe('single sign-on providers', () => {
    const add = (company: SignedInCompany, name: string, agent = company.root.agent) =>
      withFreshProof(server, agent, () =>
        agent.post('/api/company/sso/providers', {
          kind: 'saml', name, entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false,
        }),
      );

    test('past the total an add is refused; removing a provider frees its slot', async () => {
      const acme = await freshCompany();
      const made = [];
      for (let i = 0; i < PROVIDERS; i++) {
        const answer = await add(acme, `IdP ${i}`);
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        made.push(answer.body.provider.id as string);
      }
      const over = await add(acme, 'One too many');
      refused(over, 'sso_provider.too_many');
      assert.match(over.body.error.message, /as many identity providers as a company may hold/);
      assert.equal(await count('sso_providers', acme), PROVIDERS, 'a refused add writes nothing');
      const added = await dbOf(server).selectFrom('audit_events').select('id').where('company_id', '=', acme.companyId).where('action', '=', 'sso.provider_added').execute();
      assert.equal(added.length, PROVIDERS, 'and audits nothing');

      assert.equal((await acme.root.agent.post(`/api/company/sso/providers/${made[0]}/delete`)).status, 200);
      assert.equal((await add(acme, 'In its place')).status, 201);
      refused(await add(acme, 'Still too many'), 'sso_provider.too_many');
    });

    // By different Masters: one Master's own requests wait for one another already.
    test('adds racing for the last slot: one passes', async () => {
      const acme = await freshCompany();
      const masters = [acme.root];
      for (const username of ['mia', 'max', 'moe']) masters.push(await invitedMember(server, acme, acme.root.agent, { username, role: 'master' }));
      for (let i = 0; i < PROVIDERS - 1; i++) assert.equal((await add(acme, `IdP ${i}`)).status, 201);
      const answers = await Promise.all(masters.map((master, i) => add(acme, `Racer ${i}`, master.agent)));
      assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409, 409], JSON.stringify(answers.map((a) => a.body.error?.code ?? a.status)));
      for (const answer of answers.filter((a) => a.status === 409)) assert.equal(answer.body.error.code, 'sso_provider.too_many');
      assert.equal(await count('sso_providers', acme), PROVIDERS);
    });
  });
});
