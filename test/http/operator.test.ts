// The operator console: only operators get in, requests show their age against the
// seed's 24-48 hour promise, and each request is decided exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, approvedCompany, logIn, signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const HOUR = 3_600_000;

for (const engine of await enginesUnderTest()) describe(`operator console (${engine})`, () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  let tenant: Agent;
  let unsignedCompanyId: string;
  let pendingId: string;
  before(async () => {
    server = await startTestServer({ engine });
    operator = await signedInOperator(server);
    const company = await approvedCompany(server, operator.agent);
    await signUp(server, company.link);
    tenant = server.agent();
    await logIn(server, tenant, { username: company.username, companyName: ACME_REQUEST.companyName, password: STRONG_PASSWORD });
    pendingId = (await submit('Pending Forever Ltd')).body.id;
    // Approved, not signed up yet: a welcome resend would work for an operator.
    const unsigned = await approvedCompany(server, operator.agent, { ...ACME_REQUEST, companyName: 'Unsigned Co', email: 'root@unsigned.test' });
    unsignedCompanyId = unsigned.companyId;
  });
  after(() => server.close());

  function submit(companyName: string, agent = server.agent(), path = '/api/account-requests') {
    return agent.post(path, { ...ACME_REQUEST, companyName, email: `${companyName.replace(/\W/g, '').toLowerCase()}@operator.test` });
  }
  /** The operator logs in afresh (after the clock has moved past the session). */
  async function freshOperator() {
    const agent = server.agent();
    await logIn(server, agent, { username: operator.username, companyName: operator.companyName, password: STRONG_PASSWORD, totpSecret: operator.totpSecret });
    server.clock.advance(30_000);
    return agent;
  }
  const routes = () => [
    ['GET', '/api/operator/requests?status=all'],
    ['POST', '/api/operator/requests', { ...ACME_REQUEST, companyName: 'Sneaky Request Co' }],
    ['POST', `/api/operator/requests/${pendingId}/approve`, {}],
    ['POST', `/api/operator/requests/${pendingId}/reject`, { reason: 'no' }],
    ['GET', '/api/operator/companies'],
    ['POST', `/api/operator/companies/${unsignedCompanyId}/resend-welcome`, {}],
    ['GET', '/api/operator/mail'],
    ['GET', '/api/operator/mail/00000000-0000-4000-8000-000000000000'],
  ] as Array<[string, string, object?]>;
  async function nothingChanged() {
    const list = await operator.agent.get('/api/operator/requests?status=all');
    const names = (list.body.requests as any[]).map((r) => r.companyName);
    assert.ok(!names.includes('Sneaky Request Co'));
    assert.equal((list.body.requests as any[]).find((r) => r.id === pendingId).status, 'pending');
    const mail = await operator.agent.get('/api/operator/mail');
    assert.equal((mail.body.messages as any[]).filter((m) => m.to === 'root@unsigned.test').length, 1, 'no second welcome mail');
  }

  test('anonymous callers get 401 on every operator route, and nothing changes', async () => {
    for (const [method, path, body] of routes()) {
      const answer = await server.agent().request(method, path, body);
      assert.equal(answer.status, 401, `${method} ${path}`);
      assert.equal(answer.body.error.code, 'session.required');
    }
    await nothingChanged();
  });

  test("a tenant's Root Master gets 403 on every operator route, and nothing changes", async () => {
    assert.equal((await tenant.get('/api/me')).body.user.role, 'root_master');
    for (const [method, path, body] of routes()) {
      const answer = await tenant.request(method, path, body);
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.deepEqual(answer.body, { error: { code: 'auth.forbidden', message: 'Your account does not have access to this.' } });
    }
    await nothingChanged();
  });

  test('operators are added on the server only: the Company page invites no one into the platform company', async () => {
    const agent = await freshOperator();
    const one = await agent.post('/api/company/users', { email: 'eve@outside.test', username: 'eve', role: 'user' });
    assert.deepEqual([one.status, one.body.error?.code], [409, 'user.operators_from_shell'], JSON.stringify(one.body));
    const file = 'email,username,role\r\nmallory@outside.test,mallory,master\r\n';
    const bulk = await agent.post('/api/company/users/bulk-invite', { csv: file });
    assert.ok(bulk.status < 500, JSON.stringify(bulk.body));
    assert.match(JSON.stringify(bulk.body), /gatehouse operator create/, 'the row says why');
    const made = await server.gatehouse.deps.db.selectFrom('users').innerJoin('companies', 'companies.id', 'users.company_id').select('users.username').where('companies.is_platform', '=', 1).execute();
    assert.deepEqual(made.map((u) => u.username), [operator.username], 'no operator but the first');
    const mail = await agent.get('/api/operator/mail');
    assert.ok(!(mail.body.messages as Array<{ to: string }>).some((m) => m.to === 'eve@outside.test' || m.to === 'mallory@outside.test'));
  });

  test('operator-entered requests follow the same name rule and are marked as such', async () => {
    const created = await submit('Phoned In Ltd', operator.agent, '/api/operator/requests');
    assert.equal(created.status, 201);
    const duplicate = await submit('  PHONED in   ltd ', server.agent());
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.error.code, 'company.name_taken');
    const againByOperator = await submit('phoned in ltd', operator.agent, '/api/operator/requests');
    assert.equal(againByOperator.status, 409);
    const existingCompany = await submit(ACME_REQUEST.companyName.toUpperCase(), operator.agent, '/api/operator/requests');
    assert.equal(existingCompany.status, 409, 'an existing company');
    const row = (await operator.agent.get('/api/operator/requests')).body.requests.find((r: any) => r.id === created.body.id);
    assert.equal(row.source, 'operator');
  });

  test('approval: custom username, a request decided once, racing approvals produce one company', async () => {
    const first = await submit('Decide Once Co');
    const badName = await operator.agent.post(`/api/operator/requests/${first.body.id}/approve`, { username: 'has space<script>' });
    assert.equal(badName.status, 400);
    assert.ok(badName.body.error.fields.username);
    const approved = await operator.agent.post(`/api/operator/requests/${first.body.id}/approve`, { username: 'chief.admin' });
    assert.equal(approved.status, 200);
    assert.equal(approved.body.username, 'chief.admin');
    for (const path of ['approve', 'reject']) {
      const again = await operator.agent.post(`/api/operator/requests/${first.body.id}/${path}`, path === 'reject' ? { reason: 'late' } : {});
      assert.equal(again.status, 409, path);
      assert.equal(again.body.error.code, 'request.not_pending');
    }
    const unknown = await operator.agent.post('/api/operator/requests/00000000-0000-4000-8000-000000000000/approve');
    assert.equal(unknown.status, 404);
    // A malformed id is answered like an unknown one, on every route.
    assert.equal((await operator.agent.post('/api/operator/requests/not-a-uuid/approve')).status, 404);

    const raced = await submit('Race To Approve');
    const answers = await Promise.all([1, 2, 3].map(() => operator.agent.post(`/api/operator/requests/${raced.body.id}/approve`)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409, 409]);
    const companies = (await operator.agent.get('/api/operator/companies')).body.companies.filter((c: any) => c.name === 'Race To Approve');
    assert.equal(companies.length, 1);
    const mails = (await operator.agent.get('/api/operator/mail')).body.messages.filter((m: any) => m.to === 'racetoapprove@operator.test');
    assert.equal(mails.length, 1, 'one welcome mail');
  });

  test('a reject needs a reason; unknown list filters are refused', async () => {
    const request = await submit('Reason Needed');
    const noReason = await operator.agent.post(`/api/operator/requests/${request.body.id}/reject`, { reason: '   ' });
    assert.equal(noReason.status, 400);
    assert.ok(noReason.body.error.fields.reason);
    const bogus = await operator.agent.get('/api/operator/requests?status=deleted');
    assert.equal(bogus.status, 400);
  });

  // Last: it moves the clock by days.
  test('requests show their age: new, due after 24 h, overdue after 48 h', async () => {
    const created = await submit('Aging Request Co');
    const look = async (agent: Agent) => {
      const list = await agent.get('/api/operator/requests');
      assert.equal(list.status, 200);
      const row = (list.body.requests as any[]).find((r) => r.id === created.body.id);
      return { ageHours: row.ageHours, urgency: row.urgency };
    };
    assert.deepEqual(await look(operator.agent), { ageHours: 0, urgency: 'new' });
    server.clock.advance(24 * HOUR - 60_000);
    assert.deepEqual(await look(await freshOperator()), { ageHours: 23, urgency: 'new' });
    server.clock.advance(60_000);
    assert.deepEqual(await look(await freshOperator()), { ageHours: 24, urgency: 'due' });
    server.clock.advance(24 * HOUR);
    const later = await freshOperator();
    assert.deepEqual(await look(later), { ageHours: 48, urgency: 'overdue' });
    const decided = await later.post(`/api/operator/requests/${created.body.id}/reject`, { reason: 'Handled by phone' });
    assert.equal(decided.status, 200);
    const pending = (await later.get('/api/operator/requests')).body.requests.map((r: any) => r.id);
    assert.ok(!pending.includes(created.body.id), 'a decided request leaves the pending list');
  });
});

describe('company suspension', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('suspending ends the users\' sessions and logins until an operator reactivates the company', async () => {
    const operator = await signedInOperator(server);
    const company = await approvedCompany(server, operator.agent);
    await signUp(server, company.link);
    const root = server.agent();
    const who = { username: company.username, companyName: ACME_REQUEST.companyName, password: STRONG_PASSWORD };
    const { totpSecret } = await logIn(server, root, who);
    assert.equal((await root.get('/api/me')).status, 200);

    assert.equal((await root.post(`/api/operator/companies/${company.companyId}/suspend`)).status, 403, 'not for tenants');
    const suspended = await operator.agent.post(`/api/operator/companies/${company.companyId}/suspend`);
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    assert.equal((await root.get('/api/me')).status, 401, 'the session ended at once');
    const listed = await operator.agent.get('/api/operator/companies');
    assert.equal(listed.body.companies.find((c: any) => c.id === company.companyId).status, 'suspended');

    const retry = server.agent();
    await retry.post('/api/login/identify', { username: who.username, companyName: who.companyName });
    const refused = await retry.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.equal(refused.status, 401, 'the same answer as a wrong password');
    assert.equal(refused.body.error.code, 'login.invalid_credentials');

    const platform = (await operator.agent.get('/api/me')).body.company.id;
    assert.equal((await operator.agent.post(`/api/operator/companies/${platform}/suspend`)).status, 404, 'never the platform company');

    assert.equal((await operator.agent.post(`/api/operator/companies/${company.companyId}/reactivate`)).status, 200);
    server.clock.advance(30_000);
    await logIn(server, server.agent(), { ...who, totpSecret });
  });
});
