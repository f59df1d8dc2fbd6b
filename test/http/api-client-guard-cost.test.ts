// What the API-client guard costs the database on every /api/v1 request: one statement
// on the client's row, the UPDATE that checks the client is live with the token's secret
// (its credential tag, stored with the secret) and counts the request, so on PostgreSQL
// one round trip. It was a read of the secret's hash, compared in code, then that UPDATE.
// Counted where statements leave for the database (test/helpers/statements.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rotateApiClientSecret } from '../../src/api-clients/index.ts';
import { apiClient, callApi, company, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { statementsOf, watchStatements } from '../helpers/statements.ts';

const BY_CLI = { actorId: 'cli', meta: { ip: null, userAgent: null } };
const onClients = (statements: string[]) => statements.filter((sql) => /\bapi_clients\b/.test(sql));
const listing = (statements: string[]) => `\n${statements.map((sql) => sql.replace(/\s+/g, ' ').slice(0, 160)).join('\n')}`;

for (const engine of await enginesUnderTest()) {
  describe(`the API-client guard's statements (${engine})`, () => {
    let server: TestServer;
    let unwatch: () => void;
    let companyId: string;
    let usersPath: string;
    before(async () => {
      // The workers poll on their own timers; they are not the request.
      server = await startTestServer({ engine, quietWorkers: true });
      ({ companyId } = await company(server, 'Acme Tools', 'anna'));
      usersPath = `/api/v1/companies/${companyId}/users`;
      unwatch = watchStatements(engine);
    });
    after(async () => {
      unwatch();
      await server.close();
    });

    test("one statement on the client's row per request, a token of a rotated-away secret's too", async () => {
      const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId });
      const old = await tokenFor(server, client.clientId, clientSecret);
      let status = 0;
      const admitted = await statementsOf(async () => {
        status = (await callApi(server, usersPath, old)).status;
      });
      assert.equal(status, 200);
      assert.equal(onClients(admitted).length, 1, `statements on api_clients:${listing(onClients(admitted))}`);

      // Rotated away: the token's record is put back, as a token request in flight during the
      // rotation stores it, so the guard (not the provider's store) is what refuses it.
      const stored = await server.gatehouse.deps.db.selectFrom('oidc_records').selectAll().where('model', '=', 'ClientCredentials').execute();
      await rotateApiClientSecret(server.gatehouse.deps, 'every-company', client.clientId, BY_CLI);
      await server.gatehouse.deps.db.insertInto('oidc_records').values(stored).execute();
      const refused = await statementsOf(async () => {
        status = (await callApi(server, usersPath, old)).status;
      });
      assert.equal(status, 401);
      assert.equal(onClients(refused).length, 1, `statements on api_clients:${listing(onClients(refused))}`);
    });
  });
}
