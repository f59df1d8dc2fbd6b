// Probing company names through the public account request form. The form must say when a
// name is taken (409 company.name_taken: a company has it, or a pending request), so it
// tells whether a company exists (docs/SECURITY.md, the known trade-off); the cap per
// client network is what keeps that slow. A refused request therefore counts against the
// cap like an accepted one: were its slot given back, a prober could ask about names
// without end. The form's own field checks (400) look nothing up, tell nothing and cost no
// slot.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PER_HOUR = 3;
const request = (companyName: string, extra: Record<string, unknown> = {}) => ({ ...ACME_REQUEST, companyName, ...extra });

for (const engine of await enginesUnderTest()) describe(`account request form, probing company names (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let serial = 0;
  before(async () => {
    // One proxy in front (GATEHOUSE_TRUST_PROXY=1): each test's requests come from a network of their own.
    server = await startTestServer({ engine, env: { GATEHOUSE_ACCOUNT_REQUESTS_PER_HOUR: String(PER_HOUR), GATEHOUSE_TRUST_PROXY: '1' } });
    operator = (await signedInOperator(server)).agent;
    // A company with an account, and a request still waiting: both names are taken. The
    // operator files them (an operator is never capped), so no network's count is touched.
    const existing = await operator.post('/api/operator/requests', request('Existing Harbor Co', { email: 'ops@existing.test' }));
    assert.equal(existing.status, 201, JSON.stringify(existing.body));
    assert.equal((await operator.post(`/api/operator/requests/${existing.body.id}/approve`)).status, 200);
    assert.equal((await operator.post('/api/operator/requests', request('Pending Harbor Co'))).status, 201);
  });
  after(() => server.close());

  const ask = (address: string, body: Record<string, unknown>) => server.agent().post('/api/account-requests', body, { 'x-forwarded-for': address });
  const freshName = () => `Fresh Probe Co ${++serial}`;
  const pendingNamed = async (name: string) =>
    ((await operator.get('/api/operator/requests?status=pending')).body.requests as any[]).filter((r) => r.companyName === name).length;

  test('after the limit of requests naming taken companies, even a fresh free name gets the rate-limit answer', async () => {
    const address = '198.51.100.20';
    // Taken both ways: a company's name and a pending request's, in other spellings too.
    const taken = ['Existing Harbor Co', 'pending harbor co', 'EXISTING  HARBOR  CO'];
    assert.equal(taken.length, PER_HOUR);
    for (const name of taken) {
      const refused = await ask(address, request(name));
      assert.equal(refused.status, 409, `${name}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error.code, 'company.name_taken');
    }
    const name = freshName();
    const limited = await ask(address, request(name));
    assert.equal(limited.status, 429, JSON.stringify(limited.body));
    assert.equal(limited.body.error.code, 'account_request.rate_limited');
    assert.equal(await pendingNamed(name), 0, 'nothing is filed past the limit');
    // Past the limit a taken name is not told apart from a free one.
    const probe = await ask(address, request('Existing Harbor Co'));
    assert.equal(probe.status, 429);
    assert.equal(probe.body.error.code, 'account_request.rate_limited');
    // The count is the network's: another one still asks as before.
    assert.equal((await ask('198.51.100.21', request(name))).status, 201);
  });

  test('refused and accepted requests count together', async () => {
    const address = '198.51.100.30';
    assert.equal((await ask(address, request(freshName()))).status, 201);
    assert.equal((await ask(address, request('Pending Harbor Co'))).status, 409);
    assert.equal((await ask(address, request(freshName()))).status, 201);
    const over = await ask(address, request('Pending Harbor Co'));
    assert.equal(over.status, 429, JSON.stringify(over.body));
    assert.equal(over.body.error.code, 'account_request.rate_limited');
  });

  test('field errors cost no slot (they look nothing up); name refusals do', async () => {
    const address = '2001:db8:50:1::7';
    for (let i = 0; i < PER_HOUR + 2; i++) {
      const invalid = await ask(address, request(freshName(), { email: 'not-an-email' }));
      assert.equal(invalid.status, 400, JSON.stringify(invalid.body));
      assert.equal(invalid.body.error.code, 'request.invalid');
    }
    // Another address of the same /64: the same network, the same count.
    for (let i = 0; i < PER_HOUR; i++) assert.equal((await ask(`2001:db8:50:1::${i + 10}`, request('Existing Harbor Co'))).status, 409);
    const over = await ask(address, request(freshName()));
    assert.equal(over.status, 429, JSON.stringify(over.body));
    assert.equal(over.body.error.code, 'account_request.rate_limited');
  });

  test('concurrent requests naming a taken company: exactly the limit is answered, the rest get 429', async () => {
    const address = '198.51.100.40';
    const answers = await Promise.all(Array.from({ length: 10 }, () => ask(address, request('Existing Harbor Co'))));
    assert.deepEqual(
      answers.map((a) => a.status).sort(),
      [...Array(PER_HOUR).fill(409), ...Array(10 - PER_HOUR).fill(429)],
    );
    for (const refused of answers.filter((a) => a.status === 429)) assert.equal(refused.body.error.code, 'account_request.rate_limited');
    assert.equal((await ask(address, request(freshName()))).status, 429);
  });

  test('the hour after a full hour still counts it; the one after that has room again', async () => {
    const address = '198.51.100.50';
    for (let i = 0; i < PER_HOUR; i++) assert.equal((await ask(address, request('Pending Harbor Co'))).status, 409);
    assert.equal((await ask(address, request(freshName()))).status, 429);
    server.clock.advance(3_600_000 + 1000);
    assert.equal((await ask(address, request(freshName()))).status, 429, 'at most PER_HOUR in any hour');
    server.clock.advance(3_600_000);
    assert.equal((await ask(address, request(freshName()))).status, 201);
  });
});
