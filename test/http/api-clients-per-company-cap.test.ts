// Guards the cap on the live API clients one company holds (MAX_LIVE_CLIENTS_PER_COMPANY,
// src/api-clients/store.ts). The API's rate limit (GATEHOUSE_API_RATE_LIMIT) counts per
// client (useApiClient), so without the cap a company multiplied its /api/v1 budget by
// the number of clients it made. Checked here: the 21st live client is refused with
// `409 api_client.too_many`, from the console and the shell alike; deleting a client, or
// its expiry, frees its slot one rate window later (a minute); two creates racing for the last slot cannot both take it;
// platform clients are not counted; and so a company's throughput is at most cap × limit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listApiClients, MAX_LIVE_CLIENTS_PER_COMPANY as CAP } from '../../src/api-clients/index.ts';
import { GatehouseError } from '../../src/errors.ts';
import { companyWithRootMaster, type SignedInCompany } from '../helpers/company-admin.ts';
import { apiClient, callApi, company, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const LIMIT = 3;
const DAY_MS = 86_400_000;

for (const engine of await enginesUnderTest()) describe(`a company holds at most ${CAP} live API clients (${engine})`, () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;

  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_API_RATE_LIMIT: String(LIMIT) } });
    operator = await signedInOperator(server);
  });
  after(() => server.close());

  /** Clients made by the shell (the same create as the consoles', without the proof). */
  const fill = async (companyId: string | null, count: number, expiresInDays?: number) => {
    const made = [];
    for (let i = 0; i < count; i++) made.push(await apiClient(server, { name: `Sync ${i}`, scopes: ['users:read'], companyId, ...(expiresInDays ? { expiresInDays } : {}) }));
    return made;
  };
  const live = async (companyId: string) => (await listApiClients(server.gatehouse.deps.db, { companyId })).filter((c) => c.expiresAt === null || c.expiresAt > server.clock()).length;
  const refusedByCap = (error: unknown) => error instanceof GatehouseError && error.code === 'api_client.too_many';

  test(`the ${CAP + 1}st is refused, from the console and the shell; deleting one frees its slot`, async () => {
    const acme: SignedInCompany = await companyWithRootMaster(server, operator.agent, 'Many Clients Co', 'root@many-clients.test');
    const create = () => acme.root.agent.post('/api/company/api-clients', { name: 'One more', scopes: ['users:read'], ...proofOf(server, acme.root) });
    const first = await create();
    assert.equal(first.status, 201, JSON.stringify(first.body));
    await fill(acme.companyId, CAP - 1);

    const refused = await create();
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'api_client.too_many');
    assert.match(refused.body.error.message, new RegExp(`at most ${CAP} API clients`), 'the message names the cap');
    assert.match(refused.body.error.message, /Delete a client/);
    await assert.rejects(fill(acme.companyId, 1), refusedByCap);
    assert.equal(await live(acme.companyId), CAP, 'a refused create writes no client');

    const gone = await acme.root.agent.post(`/api/company/api-clients/${first.body.client.clientId}/delete`, {});
    assert.equal(gone.status, 200, JSON.stringify(gone.body));
    // The deleted client's slot is its for one rate window more (it may have spent its budget in it).
    assert.equal((await create()).status, 409, 'not within the minute of the deletion');
    server.clock.advance(60_001);
    const again = await create();
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal((await create()).status, 409, 'the freed slot is taken again');
  });

  test('the Operator Console cannot go past the cap for a company either, but makes platform clients past it', async () => {
    const { companyId } = await company(server, 'Operator Made Co', 'otto');
    await fill(companyId, CAP);
    const create = (forCompany: string | null) =>
      operator.agent.post('/api/operator/api-clients', { name: 'One more', scopes: ['users:read'], companyId: forCompany, ...proofOf(server, operator) });
    const refused = await create(companyId);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'api_client.too_many');
    await fill(null, CAP);
    const platform = await create(null);
    assert.equal(platform.status, 201, JSON.stringify(platform.body));
  });

  test('an expired client does not count, a minute after its expiry', async () => {
    const { companyId } = await company(server, 'Expiring Co', 'erin');
    await fill(companyId, 1, 1);
    await fill(companyId, CAP - 1);
    await assert.rejects(fill(companyId, 1), refusedByCap);
    server.clock.advance(DAY_MS + 1);
    await assert.rejects(fill(companyId, 1), refusedByCap, 'an expired client keeps its slot for one rate window');
    server.clock.advance(60_000);
    await fill(companyId, 1);
    await assert.rejects(fill(companyId, 1), refusedByCap);
  });

  test('two creates racing for the last slot: one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const { companyId } = await company(server, `Racing Co ${round}`, `rita${round}`);
      await fill(companyId, CAP - 1);
      const both = await Promise.allSettled([fill(companyId, 1), fill(companyId, 1)]);
      assert.equal(both.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(both.map((r) => r.status)));
      const lost = both.find((r) => r.status === 'rejected');
      assert.ok(lost && refusedByCap(lost.reason), String(lost?.reason));
      assert.equal(await live(companyId), CAP);
    }
  });

  test('platform clients count toward no company', async () => {
    const { companyId } = await company(server, 'Beside The Platform Co', 'bea');
    await fill(companyId, CAP);
    await assert.rejects(fill(companyId, 1), refusedByCap);
    await fill(null, 1);
  });

  test(`so a company's clients together get at most ${CAP} × the limit in a minute`, async () => {
    const { companyId } = await company(server, 'Busy Co', 'bob');
    const made = await fill(companyId, CAP);
    await assert.rejects(fill(companyId, 1), refusedByCap);
    const tokens = [];
    for (const { client, clientSecret } of made) tokens.push(await tokenFor(server, client.clientId, clientSecret));
    // Within one minute of the test clock: every client spends its own budget, and no more.
    let accepted = 0;
    for (const token of tokens) {
      for (let i = 0; i < LIMIT + 1; i++) {
        const answer = await callApi(server, `/api/v1/companies/${companyId}/users`, token);
        if (answer.status === 200) accepted++;
        else assert.equal(answer.status, 429, JSON.stringify(answer.body));
      }
    }
    assert.equal(accepted, CAP * LIMIT);
  });
});
