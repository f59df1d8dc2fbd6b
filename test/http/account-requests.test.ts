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
