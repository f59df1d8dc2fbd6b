// A company's API clients together get at most MAX_LIVE_CLIENTS_PER_COMPANY × the rate
// limit in any minute, a client deleted and re-made or not: a deleted (or expired) client
// keeps its slot for one rate window (assertRoomForClient, src/api-clients/store.ts). When
// a deletion freed the slot at once, a company whose clients had each spent their minute
// deleted one, made another with a whole budget, and went past the bound; repeated (a
// Master's changes allow one every two seconds), the cap bounded nothing per minute.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_LIVE_CLIENTS_PER_COMPANY as CAP } from '../../src/api-clients/index.ts';
import { companyWithRootMaster, type SignedInCompany } from '../helpers/company-admin.ts';
import { apiClient, callApi, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const LIMIT = 3;

for (const engine of await enginesUnderTest()) describe(`deleting and re-making an API client gives a company no budget past the cap (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;

  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_API_RATE_LIMIT: String(LIMIT) } });
    const operator = await signedInOperator(server);
    acme = await companyWithRootMaster(server, operator.agent, 'Churn Co', 'root@churn.test');
  });
  after(() => server?.close());

  test(`within one minute a company's clients get at most ${CAP} × the limit, a client deleted and re-made or not`, async () => {
    const made = [];
    for (let i = 0; i < CAP; i++) made.push(await apiClient(server, { name: `Sync ${i}`, scopes: ['users:read'], companyId: acme.companyId }));
    const start = server.clock();
    let accepted = 0;
    const spend = async (token: string) => {
      for (let i = 0; i < LIMIT + 1; i++) {
        const answer = await callApi(server, `/api/v1/companies/${acme.companyId}/users`, token);
        if (answer.status === 200) accepted++;
        else assert.equal(answer.status, 429, JSON.stringify(answer.body));
      }
    };
    for (const { client, clientSecret } of made) await spend(await tokenFor(server, client.clientId, clientSecret));
    assert.equal(accepted, CAP * LIMIT, 'every client spent its budget');

    // The company's Master deletes a spent client and makes a new one from the console.
    const root = acme.root.agent;
    const gone = await root.post(`/api/company/api-clients/${made[0]!.client.clientId}/delete`, {});
    assert.equal(gone.status, 200, JSON.stringify(gone.body));
    const fresh = await root.post('/api/company/api-clients', { name: 'Sync again', scopes: ['users:read'], ...proofOf(server, acme.root) });
    assert.equal(fresh.status, 409, JSON.stringify(fresh.body));
    assert.equal(fresh.body.error.code, 'api_client.too_many');

    assert.ok(server.clock() - start < 60_000, 'all within one minute');
    assert.ok(accepted <= CAP * LIMIT, `${accepted} requests accepted within a minute, past ${CAP} × ${LIMIT}`);
  });
});
