// GATEHOUSE_API_RATE_LIMIT is "requests a minute", and docs/API.md (Conventions) says a cap
// of N a minute holds in ANY minute, "not per clock hour or per window started by the first
// request". The API client's count was a fixed window started by its first request and
// reset wholesale: a client that spent its quota at the end of one window got the whole
// quota again a moment later, twice the limit within a second. The per-address throttle of
// the password step (30 refused in 15 minutes) counted the same way. Both now keep the
// bucket before the current one, as the rate caps do (migration 0033; src/api-clients/
// usage.ts, src/login/ip-throttle.ts). Found by an audit of the admin API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, callApi, company, tokenFor } from '../helpers/api-clients.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { IP_MAX_FAILURES, IP_WINDOW_MS } from '../../src/login/ip-throttle.ts';
import { ACME_REQUEST, approvedCompany, signedInOperator } from '../helpers/journey.ts';

const RATE_LIMIT = 4;

describe('/api/v1 rate limit: at most the limit in any minute', () => {
  let server: TestServer;
  let companyId: string;

  before(async () => {
    server = await startTestServer({ engine: 'sqlite', env: { GATEHOUSE_API_RATE_LIMIT: String(RATE_LIMIT) } });
    companyId = (await company(server, 'Alpha Support', 'alma')).companyId;
  });
  after(() => server.close());

  test('a quota spent at the end of a window does not come back whole a moment later', async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    const users = `/api/v1/companies/${companyId}/users`;
    // One request opens the window; the rest of the quota is spent just before it ends.
    assert.equal((await callApi(server, users, token)).status, 200);
    server.clock.advance(59_900);
    const within: number[] = [];
    for (let i = 1; i < RATE_LIMIT; i++) within.push((await callApi(server, users, token)).status);
    assert.deepEqual(within, Array(RATE_LIMIT - 1).fill(200));
    // 200 ms later: the last minute already holds RATE_LIMIT - 1 of this client's requests.
    server.clock.advance(200);
    const next: number[] = [];
    for (let i = 0; i < RATE_LIMIT; i++) next.push((await callApi(server, users, token)).status);
    const served = within.length + next.filter((status) => status === 200).length;
    assert.ok(served <= RATE_LIMIT, `${served} requests served within 200 ms (statuses ${next.join(', ')}), the limit is ${RATE_LIMIT} a minute`);
  });
});

describe('the password step per address: at most the limit of refusals in any window', () => {
  let server: TestServer;
  let companyName: string;
  before(async () => {
    server = await startTestServer({ engine: 'sqlite', env: { GATEHOUSE_TRUST_PROXY: '1' } });
    const operator = await signedInOperator(server);
    await approvedCompany(server, operator.agent);
    companyName = ACME_REQUEST.companyName;
  });
  after(() => server.close());

  test("a network's guesses spent at the end of a window do not come back whole a moment later", async () => {
    const guess = async (i: number) => {
      const agent = server.agent();
      const from = { 'x-forwarded-for': '198.51.100.23' };
      await agent.request('POST', '/api/login/identify', { username: `sprayed${i}`, companyName }, from);
      return (await agent.request('POST', '/api/login/password', { password: 'Spring-2026-Guess!' }, from)).status;
    };
    assert.equal(await guess(0), 401, 'one refusal opens the window');
    server.clock.advance(IP_WINDOW_MS - 100);
    let checked = 0;
    for (let i = 1; i < IP_MAX_FAILURES; i++) if ((await guess(i)) === 401) checked += 1;
    assert.equal(checked, IP_MAX_FAILURES - 1);
    server.clock.advance(200);
    for (let i = 0; i < IP_MAX_FAILURES; i++) if ((await guess(100 + i)) === 401) checked += 1;
    assert.ok(checked <= IP_MAX_FAILURES, `${checked} guesses checked within 200 ms from one network; the limit is ${IP_MAX_FAILURES} in ${IP_WINDOW_MS / 60_000} minutes`);
  });
});
