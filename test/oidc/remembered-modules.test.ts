// A client credentials request authenticates its module from a copy each node keeps in
// memory (src/modules/oidc/remembered-modules.ts). Two nodes on one database: a secret
// rotated on one must stop at once on the other, whose copy predates the rotation, and the
// new secret must work there at once; a module gone, or no longer confidential, must stop
// too. Nothing a stale copy let through is ever stored, and every token a node answers
// with is live (introspected on either node with the module's secret). The other node is its own process,
// as a node is: two Gatehouses in one process on one SQLite file would share an event loop,
// and one's wait for the file's write lock (synchronous, node:sqlite) would hold up the
// other's commit it waits for.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requestToken } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';
import { registerTestModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

for (const engine of await enginesUnderTest()) {
  describe(`a module remembered for client credentials, two nodes (${engine})`, () => {
    let server: TestServer;
    let otherNode: NodeProcess;
    let operator: Awaited<ReturnType<typeof signedInOperator>>;
    before(async () => {
      server = await startTestServer({ engine, realClock: true });
      operator = await signedInOperator(server);
      // A second node: the same database and secret key, its own process, port and memory.
      otherNode = await startNodeProcess([MAIN], { env: { GATEHOUSE_DATABASE_URL: server.database.url, GATEHOUSE_WORKERS: '1' }, ready: 'readyz' });
    });
    after(async () => {
      otherNode?.cleanUp();
      await server?.close();
    });

    const tokensStored = async () =>
      Number((await server.gatehouse.deps.db.selectFrom('oidc_records').select((eb) => eb.fn.countAll<number>().as('n')).where('model', '=', 'ClientCredentials').executeTakeFirstOrThrow()).n);
    const onOther = (clientId: string, secret: string, via: 'basic' | 'post' = 'basic') => requestToken(otherNode, clientId, secret, { via });
    const activeOn = async (node: Pick<TestServer, 'baseUrl'>, clientId: string, secret: string, token: string) => {
      const response = await fetch(new URL('/oidc/token/introspection', node.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: clientId, client_secret: secret }),
      });
      assert.equal(response.status, 200);
      return ((await response.json()) as { active: boolean }).active;
    };
    /** A token from the other node for `secret`, live on both nodes: not only a 200. */
    const liveTokenOnOther = async (clientId: string, secret: string, via: 'basic' | 'post' = 'basic') => {
      const answer = await onOther(clientId, secret, via);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const token = answer.body.access_token as string;
      assert.deepEqual(
        { here: await activeOn(server, clientId, secret, token), there: await activeOn(otherNode, clientId, secret, token) },
        { here: true, there: true },
        'the token answered is live',
      );
    };

    test('a secret rotated on one node stops at once on the other, and the new one works there at once', async () => {
      const registered = await registerTestModule(operator.agent, { name: 'Reporting' });
      const { clientId } = registered.module;
      const first = registered.clientSecret as string;
      // The other node now remembers the module with its first secret.
      assert.equal((await onOther(clientId, first)).status, 200);
      assert.equal((await onOther(clientId, first)).status, 200);

      const rotate = async () => {
        const rotated = await operator.agent.post(`/api/operator/modules/${registered.module.id}/rotate-secret`);
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        return rotated.body.clientSecret as string;
      };
      const second = await rotate();
      const before = await tokensStored();
      const refused = await onOther(clientId, first);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'invalid_client');
      assert.equal(refused.body.access_token, undefined);
      assert.equal(await tokensStored(), before, 'nothing was stored for the old secret');
      await liveTokenOnOther(clientId, second);

      // The new secret first, to a node whose copy has the one before: it works at once,
      // and the secret before it stops.
      const third = await rotate();
      await liveTokenOnOther(clientId, third);
      const afterThird = await tokensStored();
      assert.equal((await onOther(clientId, second)).status, 401);
      assert.equal((await onOther(clientId, first)).status, 401);
      assert.equal(await tokensStored(), afterThird);
      // Wrong secrets stay wrong, whatever the copy.
      assert.equal((await onOther(clientId, `${third}x`)).status, 401);
      await liveTokenOnOther(clientId, third);
    });

    test('the same with the secret in the body (client_secret_post) instead of the Basic header', async () => {
      const registered = await registerTestModule(operator.agent, { name: 'Ticketing' });
      const { clientId } = registered.module;
      const first = registered.clientSecret as string;
      assert.equal((await onOther(clientId, first, 'post')).status, 200);
      const rotated = await operator.agent.post(`/api/operator/modules/${registered.module.id}/rotate-secret`);
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const before = await tokensStored();
      const refused = await onOther(clientId, first, 'post');
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'invalid_client');
      assert.equal(await tokensStored(), before);
      await liveTokenOnOther(clientId, rotated.body.clientSecret as string, 'post');
    });

    test('a module that can no longer use client credentials stops at once, its secret unchanged', async () => {
      const registered = await registerTestModule(operator.agent, { name: 'Inventory' });
      const { clientId } = registered.module;
      const secret = registered.clientSecret as string;
      assert.equal((await onOther(clientId, secret)).status, 200);
      // No route makes a module public after its registration; a restore or a hand edit could.
      await server.gatehouse.deps.db.updateTable('modules').set({ client_type: 'public' }).where('client_id', '=', clientId).execute();
      const before = await tokensStored();
      // As RFC 6749 §5.2 asks of a refusal to a secret sent in the Basic header: 401 with a challenge.
      const refused = await fetch(new URL('/oidc/token', otherNode.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic .*error="invalid_client"/);
      assert.equal(((await refused.json()) as { error?: string }).error, 'invalid_client');
      assert.equal(await tokensStored(), before);
    });

    test('a module gone from the database stops at once on a node that remembers it', async () => {
      const registered = await registerTestModule(operator.agent, { name: 'Billing' });
      const { clientId } = registered.module;
      const secret = registered.clientSecret as string;
      assert.equal((await onOther(clientId, secret)).status, 200);
      await server.gatehouse.deps.db.deleteFrom('modules').where('client_id', '=', clientId).execute();
      const before = await tokensStored();
      const refused = await onOther(clientId, secret);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'invalid_client');
      assert.equal(await tokensStored(), before);
      assert.equal((await onOther(clientId, secret)).status, 401);
    });
  });
}
