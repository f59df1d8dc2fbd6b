// Upgrading (docs/OPERATIONS.md): `gatehouse migrate`, then every node restarted. Between
// the two, a node of the release before migration 0028 still serves, and what it writes of
// an API client is the secret's hash alone: a client it creates has no credential tag, one
// it rotates keeps the old secret's. The guard compares the stored tag, so such a client
// would be refused for good. A node starting puts every such tag right, so once the last
// node has restarted the holder of the current secret is let in, and only that holder.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keyedHash, newId, randomToken } from '../../src/crypto/index.ts';
import { createGatehouse, type Gatehouse } from '../../src/gatehouse.ts';
import { apiClient, callApi, company, requestToken, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) {
  describe(`API clients an older node wrote during the upgrade (${engine})`, () => {
    let server: TestServer;
    let restarted: Gatehouse | undefined;
    let companyId: string;
    before(async () => {
      server = await startTestServer({ engine, realClock: true });
      ({ companyId } = await company(server, 'Acme Tools', 'anna'));
    });
    after(async () => {
      await restarted?.close();
      await server.close();
    });

    test('a client it rotated or created is let in with its current secret once the node restarts, and no earlier secret is', async () => {
      const db = server.gatehouse.deps.db;
      const secretKey = server.gatehouse.deps.deriveKey('client-secrets');
      // Rotated by the older node: the hash of a new secret, the tag left as it was.
      const rotated = await apiClient(server, { scopes: ['users:read'], companyId });
      const earlierToken = await tokenFor(server, rotated.client.clientId, rotated.clientSecret);
      const newSecret = `ghapisec_${randomToken()}`;
      await db.updateTable('api_clients').set({ secret_hash: keyedHash(secretKey, newSecret) }).where('client_id', '=', rotated.client.clientId).execute();
      // Created by the older node: no tag at all.
      const createdId = `ghapi_${randomToken().slice(0, 22)}`;
      const createdSecret = `ghapisec_${randomToken()}`;
      await db
        .insertInto('api_clients')
        .values({
          id: newId(),
          client_id: createdId,
          company_id: companyId,
          name: 'Made by the older node',
          scopes: '["users:read"]',
          secret_hash: keyedHash(secretKey, createdSecret),
          expires_at: null,
          created_by: 'cli',
          secret_holder: 'cli',
          hold_ended_at: null,
          created_at: Date.now(),
          last_used_at: null,
          deleted_at: null,
        } as never)
        .execute();

      // This node's own restart, as the upgrade's last step makes it.
      const { config } = server.gatehouse.deps;
      await server.gatehouse.close();
      restarted = await createGatehouse(config, { logger: false, mailWorkerIntervalMs: 200 });
      await restarted.listen();

      const current = await requestToken(server, rotated.client.clientId, newSecret);
      assert.equal(current.status, 200);
      assert.equal((await callApi(server, '/api/v1/client', current.body.access_token)).status, 200, 'the current secret is let in');
      assert.equal((await callApi(server, '/api/v1/client', earlierToken)).status, 401, 'a token of the secret rotated away is not');
      assert.equal((await requestToken(server, rotated.client.clientId, rotated.clientSecret)).status, 401, 'nor does that secret get a token');
      const created = await requestToken(server, createdId, createdSecret);
      assert.equal(created.status, 200);
      assert.equal((await callApi(server, '/api/v1/client', created.body.access_token)).status, 200, 'the client the older node made is let in');
    });
  });
}
