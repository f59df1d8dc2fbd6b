// The public "request a company account" form: what it accepts, what it refuses, and
// that one company name cannot be requested twice however it is spelled or raced.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const request = (companyName: string, extra: Record<string, unknown> = {}) => ({
  ...ACME_REQUEST,
  companyName,
  ...extra,
});

for (const engine of await enginesUnderTest()) describe(`company account requests (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  before(async () => {
    server = await startTestServer({ engine });
    operator = (await signedInOperator(server)).agent;
  });
  after(() => server.close());

  async function requestsNamed(name: string) {
    const list = await operator.get('/api/operator/requests?status=all');
    assert.equal(list.status, 200);
    return (list.body.requests as any[]).filter((r) => r.companyName === name);
  }

  test('a valid request is stored as typed (names tidied) and waits for an operator', async () => {
    const created = await server.agent().post('/api/account-requests', request('  Northwind   Traders  ', { note: '  Ten seats  ' }));
    assert.equal(created.status, 201);
    assert.equal(created.body.status, 'pending');
    assert.match(created.body.id, /^[0-9a-f-]{36}$/);
    const [stored] = await requestsNamed('Northwind Traders');
    assert.ok(stored, 'the operator sees the request');
    assert.equal(stored.id, created.body.id);
    assert.equal(stored.source, 'public');
    assert.equal(stored.status, 'pending');
    assert.equal(stored.note, 'Ten seats');
    assert.equal(stored.email, ACME_REQUEST.email);
  });

  test('names with control characters (C0 or C1) are refused', async () => {
    for (const name of ['Tab\tCo', 'Nul\u0000Co', 'Nel\u0085Co', 'Csi\u009bCo']) {
      const answer = await server.agent().post('/api/account-requests', request(name));
      assert.equal(answer.status, 400, JSON.stringify(name));
      assert.ok(answer.body.error.fields.companyName);
    }
  });

  test('invalid fields get one 400 with a message per field, and nothing is stored', async () => {
    const answer = await server.agent().post('/api/account-requests', {
      companyName: 'X',
      contactName: '',
      email: 'not-an-email',
      phone: 'call me',
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, 'request.invalid');
    assert.equal(typeof answer.body.error.message, 'string');
    assert.deepEqual(Object.keys(answer.body.error.fields).sort(), ['companyName', 'contactName', 'email', 'phone']);
    assert.deepEqual(await requestsNamed('X'), []);
  });

  test('a note with a NUL byte or other control character is refused, not a server error', async () => {
    for (const note of ['before\u0000after', 'bell\u0007', 'escape\u001b[31m', 'next\u0085line']) {
      const answer = await server.agent().post('/api/account-requests', request(`Control Co ${note.length}`, { note }));
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'request.invalid');
      assert.ok(answer.body.error.fields.note);
    }
    // Line breaks and tabs are ordinary in a free-text note.
    const multiline = await server.agent().post('/api/account-requests', request('Control Co Lines', { note: 'line one\r\nline two\tend' }));
    assert.equal(multiline.status, 201, JSON.stringify(multiline.body));
  });

  test('a name already pending is refused whatever its case and spacing', async () => {
    const first = await server.agent().post('/api/account-requests', request('Blue Harbor IT'));
    assert.equal(first.status, 201);
    for (const variant of ['blue harbor it', 'BLUE   HARBOR   IT', '  Blue\u00a0Harbor IT ', 'Ｂｌｕｅ Harbor IT']) {
      const again = await server.agent().post('/api/account-requests', request(variant));
      assert.equal(again.status, 409, `${JSON.stringify(variant)}: ${JSON.stringify(again.body)}`);
      assert.equal(again.body.error.code, 'company.name_taken');
    }
    assert.equal((await requestsNamed('Blue Harbor IT')).length, 1);
  });

  test('the name of an existing company is refused; a rejected request frees its name', async () => {
    const approved = await server.agent().post('/api/account-requests', request('Granite Systems', { email: 'ops@granite.test' }));
    assert.equal((await operator.post(`/api/operator/requests/${approved.body.id}/approve`)).status, 200);
    const taken = await server.agent().post('/api/account-requests', request('granite  systems'));
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.code, 'company.name_taken');

    const rejected = await server.agent().post('/api/account-requests', request('Cedar Point'));
    assert.equal((await operator.post(`/api/operator/requests/${rejected.body.id}/reject`, { reason: 'Duplicate of a phone order' })).status, 200);
    const retry = await server.agent().post('/api/account-requests', request('cedar point'));
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
  });

  test('ten simultaneous requests for one name: exactly one is accepted', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => server.agent().post('/api/account-requests', request(i % 2 ? 'Racing Co' : 'racing  co'))),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, ...Array(9).fill(409)]);
    for (const lost of answers.filter((a) => a.status === 409)) assert.equal(lost.body.error.code, 'company.name_taken');
  });

  test('SQL metacharacters in names are kept as data', async () => {
    const name = `O'Brien"; DROP TABLE companies; --`;
    const created = await server.agent().post('/api/account-requests', request(name, { contactName: `Robert'); --` }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const [stored] = await requestsNamed(name);
    assert.equal(stored?.contactName, `Robert'); --`);
    assert.equal((await operator.get('/api/operator/companies')).status, 200, 'the companies table is still there');
  });
});

// The public form is capped per client network, so a script cannot fill the operator's
// queue: an IPv4 address, or an IPv6 /64, counted atomically (also when raced), a request
// refused for its name counted too (account-request-probing.test.ts), and an operator's own
// requests never capped.
for (const engine of await enginesUnderTest()) describe(`company account requests, the cap per network (${engine})`, () => {
  const PER_HOUR = 3;
  let server: TestServer;
  let operator: Agent;
  let serial = 0;
  before(async () => {
    // One proxy in front (GATEHOUSE_TRUST_PROXY=1), so each request can come from the address it names.
    server = await startTestServer({ engine, env: { GATEHOUSE_ACCOUNT_REQUESTS_PER_HOUR: String(PER_HOUR), GATEHOUSE_TRUST_PROXY: '1' } });
    operator = (await signedInOperator(server)).agent;
  });
  after(() => server.close());

  const ask = (address: string, name = `Capped Co ${++serial}`) =>
    server.agent().post('/api/account-requests', request(name), { 'x-forwarded-for': address });
  const pendingNamed = async (prefix: string) =>
    ((await operator.get('/api/operator/requests?status=pending')).body.requests as any[]).filter((r) => r.companyName.startsWith(prefix)).length;

  test('concurrent requests from one address: exactly the cap is filed, the rest get 429 and file nothing', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => ask('198.51.100.7', `Raced Co ${i}`)));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [...Array(PER_HOUR).fill(201), ...Array(10 - PER_HOUR).fill(429)]);
    for (const refused of answers.filter((a) => a.status === 429)) assert.equal(refused.body.error.code, 'account_request.rate_limited');
    assert.equal(await pendingNamed('Raced Co'), PER_HOUR);
    assert.equal((await ask('198.51.100.8')).status, 201, 'another address has its own count');
  });

  test('an IPv6 client counts as its /64, however its addresses are written', async () => {
    const spellings = ['2001:db8:1:2::1', '2001:db8:1:2:ffff::9', '2001:0db8:0001:0002:0000:0000:0000:0abc', '2001:DB8:1:2::DEAD'];
    const answers = [];
    for (const address of spellings) answers.push((await ask(address)).status);
    assert.deepEqual(answers, [201, 201, 201, 429]);
    assert.equal((await ask('2001:db8:1:3::1')).status, 201, 'the next /64 is another network');
  });

  test('a request refused for its name counts like an accepted one; an operator is never capped', async () => {
    assert.equal((await ask('203.0.113.5', 'Taken Co')).status, 201);
    for (let i = 1; i < PER_HOUR; i++) assert.equal((await ask('203.0.113.5', 'Taken Co')).status, 409, 'name taken');
    assert.equal((await ask('203.0.113.5')).status, 429);
    for (let i = 0; i < PER_HOUR + 1; i++) assert.equal((await operator.post('/api/operator/requests', request(`Operator Co ${i}`))).status, 201);
  });

  test('the hour after a full hour still counts it; the one after that has room again', async () => {
    assert.equal((await ask('198.51.100.7')).status, 429);
    server.clock.advance(3_600_000 + 1000);
    assert.equal((await ask('198.51.100.7')).status, 429, 'at most the cap in any hour');
    server.clock.advance(3_600_000);
    assert.equal((await ask('198.51.100.7')).status, 201);
  });
});
