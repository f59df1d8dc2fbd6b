// A session list shows where each session was signed in and where it was last used. A
// session cookie copied to another machine and used from there is the case the list exists
// for: it showed only the sign-in's address, so the copy looked like the owner's own
// browser. The address of the latest use is now stored when the session is touched (at most
// once a minute), and at once when the address changes (at most once every few seconds),
// and shown beside the sign-in's in My Settings, in a Master's view of the user and in
// /api/v1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, callApi, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';

const SIGN_IN_ADDRESS = '198.51.100.7';
const ELSEWHERE = '203.0.113.9';
const from = (address: string) => ({ 'x-forwarded-for': address });

for (const engine of await enginesUnderTest()) describe(`a session list shows the address of the latest use (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' } });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Where Co', emailDomain: 'where.test' });
  });
  after(() => server.close());

  test('a copy used from elsewhere shows there, in My Settings, the Master view and /api/v1', async () => {
    const company = await tenants.signedIn();
    const { agent } = company.root;
    // The sign-in's own address is whatever the test login came from; the list's first use is from SIGN_IN_ADDRESS.
    server.clock.advance(61_000);
    const mine = await agent.get('/api/me/sessions', from(SIGN_IN_ADDRESS));
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    const signedInFrom: string | null = mine.body.sessions[0].ip;
    assert.equal(mine.body.sessions[0].lastSeenIp, SIGN_IN_ADDRESS, JSON.stringify(mine.body.sessions[0]));

    // Seconds later, the same cookie from another address (a copy): shown at once, without waiting for the minute.
    server.clock.advance(6_000);
    assert.equal((await agent.get('/api/me', from(ELSEWHERE))).status, 200);
    const after = await agent.get('/api/me/sessions', from(SIGN_IN_ADDRESS));
    const row = after.body.sessions[0];
    assert.equal(row.ip, signedInFrom, 'the sign-in address stays the sign-in address');
    assert.equal(row.lastSeenIp, ELSEWHERE, JSON.stringify(row));

    // A Master's view of the user, and /api/v1, say the same.
    const userId = company.root.id;
    const master = await agent.get(`/api/company/users/${userId}/sessions`, from(ELSEWHERE));
    assert.equal(master.status, 200, JSON.stringify(master.body));
    assert.ok(master.body.sessions.some((s: { lastSeenIp: string }) => s.lastSeenIp === ELSEWHERE), JSON.stringify(master.body));
    const client = await apiClient(server, { scopes: ['users:read'], companyId: company.companyId });
    const listed = await callApi(server, `/api/v1/companies/${company.companyId}/users/${userId}/sessions`, await tokenFor(server, client.client.clientId, client.clientSecret));
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.ok(listed.body.sessions.some((s: { lastSeenIp: string }) => s.lastSeenIp === ELSEWHERE), JSON.stringify(listed.body));
  });

  test('switching addresses at request speed is not a write per request', async () => {
    const company = await tenants.signedIn();
    const { agent } = company.root;
    server.clock.advance(61_000);
    assert.equal((await agent.get('/api/me', from(SIGN_IN_ADDRESS))).status, 200);
    // Within the few seconds, another address is used but not yet stored...
    assert.equal((await agent.get('/api/me', from(ELSEWHERE))).status, 200);
    let row = (await agent.get('/api/me/sessions', from(ELSEWHERE))).body.sessions[0];
    assert.equal(row.lastSeenIp, SIGN_IN_ADDRESS, 'a change within seconds of the last store waits');
    // ...and is, the next time it is used after them.
    server.clock.advance(6_000);
    row = (await agent.get('/api/me/sessions', from(ELSEWHERE))).body.sessions[0];
    assert.equal(row.lastSeenIp, ELSEWHERE, JSON.stringify(row));
  });
});
