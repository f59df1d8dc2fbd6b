// Who is an operator: a Master (or the Root Master) of the platform company, one rule for
// the console and for holding a platform API client's secret (src/sessions isOperatorRow,
// src/api-clients/store.ts holderQualifies). An operator made a User on the platform's
// Company page once kept the whole console (approving companies, registering modules,
// reading the Mailbox's Sign Up links, making API clients) while its API clients stopped.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOperator } from '../../src/companies/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, signedInOperator, STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const SOME_ID = '5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f';

for (const engine of await enginesUnderTest()) describe(`operators are the platform company's Masters (${engine})`, () => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof signedInOperator>>;
  let eve: { id: string; agent: Agent; totpSecret: string };
  let pendingId: string;
  let operatorRoutes: Array<[string, string]>;
  before(async () => {
    server = await startTestServer({ engine });
    admin = await signedInOperator(server);
    const link = await createOperator(server.gatehouse.deps, { username: 'eve', email: 'eve@ops.test' }, { actorId: 'cli', ip: null, userAgent: null });
    const signedUp = await server.agent().post('/api/signup', { token: tokenFromLink(link.url), password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
    assert.equal(signedUp.status, 200);
    const agent = server.agent();
    const { totpSecret } = await logIn(server, agent, { username: 'eve', companyName: link.companyName, password: STRONG_PASSWORD });
    eve = { id: (await agent.get('/api/me')).body.user.id, agent, totpSecret };
    const requested = await server.agent().post('/api/account-requests', { companyName: 'Waiting Co', contactName: 'Wes', email: 'wes@waiting.test', phone: '+1 555 0100' });
    pendingId = requested.body.id;
    const document = (await server.agent().get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    operatorRoutes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/operator/'))
      .flatMap(([path, operations]) => Object.keys(operations).filter((m) => m !== 'head').map((method): [string, string] => [method, path]));
    assert.ok(operatorRoutes.length > 20, 'the routes come from the OpenAPI document');
  });
  after(() => server.close());

  const setRole = (role: 'master' | 'user') => withFreshProof(server, admin.agent, () => admin.agent.post(`/api/company/users/${eve.id}/role`, { role }));

  test('made a User, an operator loses the console on every route at the next request; made a Master again, gets it back', async () => {
    assert.equal((await eve.agent.get('/api/me')).body.user.isOperator, true);
    assert.equal((await eve.agent.get('/api/operator/requests')).status, 200);

    assert.equal((await setRole('user')).status, 200);
    const me = await eve.agent.get('/api/me');
    assert.deepEqual([me.body.user.role, me.body.user.isOperator], ['user', false]);
    for (const [method, path] of operatorRoutes) {
      const filled = path.replace('{id}', method === 'post' && path.includes('/requests/') ? pendingId : SOME_ID).replace(/\{\w+\}/g, SOME_ID);
      const body = method === 'get' ? undefined : { ...proofOf(server, eve), name: 'Eve sync', scopes: ['companies:read'], reason: 'no' };
      const answer = await eve.agent.request(method.toUpperCase(), filled, body);
      assert.deepEqual(
        [answer.status, answer.body?.error?.code],
        [403, 'auth.forbidden'],
        `${method.toUpperCase()} ${path}: ${JSON.stringify(answer.body).slice(0, 200)}`,
      );
    }
    const requests = await admin.agent.get('/api/operator/requests');
    assert.equal((requests.body.requests as Array<{ id: string; status: string }>).find((r) => r.id === pendingId)?.status, 'pending', 'nothing was decided');
    const clients = await admin.agent.get('/api/operator/api-clients');
    assert.deepEqual(clients.body.clients, [], 'no API client was made');

    assert.equal((await setRole('master')).status, 200);
    assert.equal((await eve.agent.get('/api/me')).body.user.isOperator, true);
    assert.equal((await eve.agent.get('/api/operator/requests')).status, 200);
  });
});
