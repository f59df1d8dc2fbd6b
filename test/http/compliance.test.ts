// The MFA compliance view over HTTP: who is enrolled, who is still invited or has no 2FA
// yet and for how long; a Master sees their own company only, an operator every company;
// the CSV export is well-formed and formula-safe.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { csvRecords } from '../helpers/csv.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, signUp } from '../helpers/journey.ts';
import { companyUser, companyWithRootMaster, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createUser, issueSignupLink } from '../../src/users/index.ts';

const DAY = 86_400_000;
const EVIL_COMPANY = '=HYPERLINK("http://evil.test","Open")';
const EVIL_USER = '@SUM(1+1)*cmd';
const today = () => new Date().toISOString().slice(0, 10);

for (const engine of await enginesUnderTest()) describe(`MFA compliance (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let acme: Person;
  let globex: Person;
  let casey: Person;

  before(async () => {
    server = await startTestServer({ engine, realClock: true });
    operator = (await signedInOperator(server)).agent;
    acme = await companyWithRootMaster(server, operator, 'Acme Managed IT');
    globex = await companyWithRootMaster(server, operator, EVIL_COMPANY);
    casey = await companyUser(server, acme, 'casey');
    const { db } = server.gatehouse.deps;
    const add = (username: string, createdAt = Date.now()) =>
      createUser(db, acme.companyId, { username, email: `${username.replace(/\W/g, '')}@acme.test`, displayName: username, role: 'user' }, createdAt);
    await add('ivy', Date.now() - 3 * DAY - 60_000);
    // A username no form takes today (a row from before the rules, or written by hand): the
    // views and the CSV must still show it as data.
    const evil = await add('evil-placeholder');
    await db.updateTable('users').set({ username: EVIL_USER }).where('company_id', '=', acme.companyId).where('id', '=', evil.id).execute();
    const nora = await add('nora', Date.now() - 10 * DAY);
    const link = await issueSignupLink(db, acme.companyId, nora.id, Date.now(), 3_600_000);
    await signUp(server, `${server.baseUrl}/signup/${link.token}`);
    const dora = await add('dora');
    await db.updateTable('users').set({ status: 'disabled' }).where('company_id', '=', acme.companyId).where('id', '=', dora.id).execute();
  });
  after(() => server.close());

  async function compliance(agent: Agent, path = '/api/company/compliance', headers?: Record<string, string>) {
    const answer = await agent.get(path, headers);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }
  const byName = (users: any[]) => Object.fromEntries(users.map((u) => [u.username, u]));

  test('a User is refused; a Master is no operator', async () => {
    for (const path of ['/api/company/compliance', '/api/company/compliance.csv', '/api/operator/compliance', '/api/operator/compliance.csv']) {
      assert.equal((await casey.agent.get(path)).status, 403, path);
      assert.equal((await server.agent().get(path)).status, 401, path);
    }
    assert.equal((await acme.agent.get('/api/operator/compliance')).status, 403);
  });

  test("a Master sees each of their company's users and the totals", async () => {
    const view = await compliance(acme.agent);
    assert.deepEqual(view.company, { id: acme.companyId, name: 'Acme Managed IT' });
    const users = byName(view.users);
    assert.deepEqual(Object.keys(users).sort(), [EVIL_USER, acme.username, 'casey', 'dora', 'ivy', 'nora'].sort());
    const root = users[acme.username];
    assert.equal(root.role, 'root_master');
    assert.equal(root.enrolled, true);
    assert.match(root.enrolledAt, /^\d{4}-\d\d-\d\dT/);
    assert.equal(root.pending, null);
    assert.equal(root.inviteAgeDays, null);
    assert.match(root.lastLoginAt, /^\d{4}-\d\d-\d\dT/, 'the login completion sets last_login_at');
    assert.deepEqual(
      { pending: users.ivy.pending, enrolled: users.ivy.enrolled, age: users.ivy.inviteAgeDays, status: users.ivy.status, lastLoginAt: users.ivy.lastLoginAt },
      { pending: 'invited', enrolled: false, age: 3, status: 'invited', lastLoginAt: null },
    );
    assert.equal(users.nora.pending, 'not_enrolled', 'a password but no 2FA');
    assert.equal(users.nora.inviteAgeDays, null, 'signed up: no longer an invite');
    assert.equal(users[EVIL_USER].inviteAgeDays, 0);
    assert.equal(users.dora.pending, null, 'disabled: waiting for nothing');
    assert.deepEqual(view.totals, { users: 6, enrolled: 2, pending: 3, disabled: 1, percentEnrolled: 40 }); // 2 of the 5 who can log in
  });

  test('tenant isolation: another company id in the query or headers changes nothing', async () => {
    const own = await compliance(acme.agent);
    const spoofed = await compliance(acme.agent, `/api/company/compliance?companyId=${globex.companyId}`, { 'x-company-id': globex.companyId });
    assert.deepEqual(spoofed, own);
    const csv = await acme.agent.get(`/api/company/compliance.csv?companyId=${globex.companyId}`, { 'x-company-id': globex.companyId });
    const records = csvRecords(csv.body);
    assert.equal(records.length, 6);
    assert.ok(records.every((r) => r.company === 'Acme Managed IT'));
    assert.ok(!records.some((r) => r.username === globex.username));
  });

  test('an operator sees every company, or one', async () => {
    const { companies } = await compliance(operator, '/api/operator/compliance');
    const of = (id: string) => companies.find((c: any) => c.companyId === id);
    assert.deepEqual(of(acme.companyId).totals, (await compliance(acme.agent)).totals);
    assert.deepEqual(of(globex.companyId).totals, { users: 1, enrolled: 1, pending: 0, disabled: 0, percentEnrolled: 100 });
    assert.equal(of(globex.companyId).companyName, EVIL_COMPANY);
    assert.ok(companies.some((c: any) => c.isPlatform), 'the operators themselves count too');
    const one = await compliance(operator, `/api/operator/compliance?companyId=${globex.companyId}`);
    assert.deepEqual(one.company, { id: globex.companyId, name: EVIL_COMPANY });
    assert.deepEqual(one.users.map((u: any) => u.username), [globex.username]);
    assert.equal((await operator.get('/api/operator/compliance?companyId=00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await operator.get('/api/operator/compliance?companyId=acme')).status, 400);
  });

  test('CSV: an attachment, well-formed, escaped and formula-safe', async () => {
    const answer = await acme.agent.get('/api/company/compliance.csv');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
    assert.equal(answer.headers.get('content-disposition'), `attachment; filename="gatehouse-compliance-${today()}.csv"`);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const rows = csvRecords(answer.body);
    assert.deepEqual(Object.keys(rows[0] ?? {}), ['company', 'username', 'role', 'status', 'enrolled', 'enrolled_at', 'pending', 'invite_age_days', 'last_login_at']);
    const ivy = rows.find((r) => r.username === 'ivy');
    assert.deepEqual([ivy?.enrolled, ivy?.pending, ivy?.invite_age_days, ivy?.enrolled_at], ['false', 'invited', '3', '']);
    assert.ok(rows.some((r) => r.username === `'${EVIL_USER}`), 'the formula user is defused');
    assert.ok(answer.body.includes(`"'${EVIL_USER}"`));

    const summary = csvRecords((await operator.get('/api/operator/compliance.csv')).body);
    const evil = summary.find((r) => r.company_id === globex.companyId);
    assert.deepEqual([evil?.company, evil?.users, evil?.percent_enrolled], [`'${EVIL_COMPANY}`, '1', '100']);
    const one = await operator.get(`/api/operator/compliance.csv?companyId=${globex.companyId}`);
    assert.ok(one.body.includes(`"'=HYPERLINK(""http://evil.test"",""Open"")"`));
    assert.deepEqual(csvRecords(one.body).map((r) => r.username), [globex.username]);
  });
});
