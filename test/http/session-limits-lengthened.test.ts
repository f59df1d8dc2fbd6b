// A session that timed out stays ended when a Master lengthens the limit afterwards.
// Sessions are judged when next used, by the limits then in force; a session left idle
// past its timeout (or ended by a shortened absolute limit) but never used again kept its
// row, and once the limit was raised it, and the module tokens it led to, worked again:
// a re-authentication NIST AAL2 asks for, skipped. The policy change now ends, first, the
// sessions over by the limits it replaces (endSessionsOverLimits, src/sessions).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { client, companyWithRootMaster, grantedModule, signInToModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';

const MINUTE = 60_000;

for (const engine of await enginesUnderTest()) describe(`a lengthened session limit brings no ended session back (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  // A server each: the tests move its clock by the hour, past the operator's own session.
  beforeEach(async () => {
    server = await startTestServer({ engine });
    operator = (await signedInOperator(server)).agent;
  });
  afterEach(() => server.close());

  /** Another browser of the same person (a code of a later time step on the server's clock). */
  async function anotherBrowser(person: Person): Promise<Agent> {
    server.clock.advance(30_000);
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: person.username, companyName: person.companyName });
    assert.equal((await agent.post('/api/login/password', { password: person.password })).body.step, 'totp');
    assert.equal((await agent.post('/api/login/totp', { code: totpAt(person.totpSecret, server.clock()) })).status, 200);
    return agent;
  }

  /** The company's policy changed through its API client (no step-up, no session of its own). */
  async function policyOf(companyId: string) {
    const { client: apiClientRow, clientSecret } = await apiClient(server, { scopes: ['policy:write'], companyId });
    return async (change: object) => {
      const token = await tokenFor(server, apiClientRow.clientId, clientSecret);
      const answer = await sendApi(server, 'POST', `/api/v1/companies/${companyId}/policy`, token, change);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    };
  }

  test('a browser idle past the timeout stays signed out when the timeout is raised', async () => {
    const root = await companyWithRootMaster(server, operator);
    const setPolicy = await policyOf(root.companyId);
    const left = await anotherBrowser(root);
    assert.equal((await left.get('/api/me')).status, 200);
    server.clock.advance(45 * MINUTE); // past the 30-minute idle timeout, unseen
    await setPolicy({ sessionIdleMinutes: 120 });
    assert.equal((await left.get('/api/me')).status, 401);
  });

  test('sessions a shortened absolute limit ended stay ended when it is set back', async () => {
    const root = await companyWithRootMaster(server, operator);
    const setPolicy = await policyOf(root.companyId);
    const other = await anotherBrowser(root);
    for (let i = 0; i < 3; i += 1) {
      server.clock.advance(20 * MINUTE);
      assert.equal((await other.get('/api/me')).status, 200, 'in use, within every limit');
    }
    await setPolicy({ sessionAbsoluteMinutes: 15, sessionIdleMinutes: 5 }); // an hour old: over
    server.clock.advance(MINUTE);
    await setPolicy({ sessionAbsoluteMinutes: 720, sessionIdleMinutes: 30 });
    assert.equal((await other.get('/api/me')).status, 401);
  });

  test("a module's refresh token refused for the idle timeout stays refused when the timeout is raised", async () => {
    const root = await companyWithRootMaster(server, operator);
    const setPolicy = await policyOf(root.companyId);
    const module = await grantedModule(server, operator, root.companyId);
    const session = await signInToModule(module.config, root.agent, { scope: 'openid offline_access' });
    const refreshToken = session.tokens.refresh_token as string;
    server.clock.advance(31 * MINUTE);
    await assert.rejects(client.refreshTokenGrant(module.config, refreshToken), (error: { error?: string }) => error.error === 'invalid_grant');
    await setPolicy({ sessionIdleMinutes: 120 });
    await assert.rejects(client.refreshTokenGrant(module.config, refreshToken), (error: { error?: string }) => error.error === 'invalid_grant');
    // A session still within the limits keeps working under the longer one.
    const fresh = await anotherBrowser(root);
    server.clock.advance(60 * MINUTE);
    assert.equal((await fresh.get('/api/me')).status, 200, 'an hour idle is within the raised 120 minutes');
  });
});
