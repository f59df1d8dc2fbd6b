// The audit trail over HTTP: Masters read their own company's events and nothing else,
// operators read everyone's; filters and the id cursor; CSV that is well-formed and
// cannot run in a spreadsheet; module launches, lockouts and logouts are recorded.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { csvRecords, parseStrictCsv } from '../helpers/csv.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyUser, companyWithRootMaster, grantedModule, logInAgain, signInToModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const EVIL_COMPANY = '=HYPERLINK("http://evil.test","Open")';
const EVIL_AGENT = "=cmd|' /C calc'!A0";
const today = () => new Date().toISOString().slice(0, 10);

for (const engine of await enginesUnderTest()) describe(`audit log (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let acme: Person;
  let globex: Person;
  let casey: Person;
  let morgan: Person;
  const ids: Record<string, string> = {};

  before(async () => {
    server = await startTestServer({ engine, realClock: true });
    operator = (await signedInOperator(server)).agent;
    acme = await companyWithRootMaster(server, operator, 'Acme Managed IT');
    globex = await companyWithRootMaster(server, operator, EVIL_COMPANY);
    casey = await companyUser(server, acme, 'casey');
    morgan = await companyUser(server, acme, 'morgan', 'master');
    for (const person of [acme, globex, casey]) ids[person.username] = (await person.agent.get('/api/me')).body.user.id;
    // A failed login in each company, one with a user agent made to look like a formula.
    await wrongPassword(acme.username, acme.companyName, { 'user-agent': EVIL_AGENT });
    await wrongPassword(globex.username, globex.companyName);
  });
  after(() => server.close());

  async function wrongPassword(username: string, companyName: string, headers: Record<string, string> = {}) {
    const agent = server.agent();
    assert.equal((await agent.post('/api/login/identify', { username, companyName }, headers)).status, 200);
    assert.equal((await agent.post('/api/login/password', { password: 'Not-The-Password-1!' }, headers)).status, 401);
  }
  async function events(agent: Agent, path: string) {
    const answer = await agent.get(path);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.events as any[];
  }

  test('a User is refused, a visitor must log in', async () => {
    for (const path of ['/api/company/audit', '/api/company/audit.csv', '/api/operator/audit', '/api/operator/audit.csv']) {
      const answer = await casey.agent.get(path);
      assert.equal(answer.status, 403, path);
      assert.equal(answer.body.error.code, 'auth.forbidden');
      assert.equal((await server.agent().get(path)).status, 401, path);
    }
    assert.equal((await acme.agent.get('/api/operator/audit')).status, 403, 'a Master is no operator');
  });

  test("a Master sees their own company's events, with names", async () => {
    for (const master of [acme, morgan]) {
      const rows = await events(master.agent, '/api/company/audit?limit=500');
      assert.ok(rows.length > 5);
      assert.ok(rows.every((e) => e.companyId === acme.companyId && e.companyName === 'Acme Managed IT'));
      const login = rows.find((e) => e.action === 'login.succeeded' && e.actor?.id === ids.casey);
      assert.equal(login.actor.username, 'casey');
      assert.match(login.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(login.ip, '127.0.0.1');
      assert.equal(typeof login.userAgent, 'string');
      const failed = rows.find((e) => e.action === 'login.failed');
      assert.deepEqual(failed.detail, { reason: 'wrong_password' });
      assert.equal(failed.userAgent, EVIL_AGENT);
      const approved = rows.find((e) => e.action === 'company.approved');
      assert.ok(approved.actor.username, 'the approving operator is named');
    }
  });

  test('tenant isolation: ids of another company in the query or headers change nothing', async () => {
    const own = await events(acme.agent, '/api/company/audit?limit=500');
    const spoof = { 'x-company-id': globex.companyId, 'x-gatehouse-company': globex.companyId };
    const tried = await events(acme.agent, `/api/company/audit?limit=500&companyId=${globex.companyId}`);
    assert.deepEqual(tried.map((e) => e.id), own.map((e) => e.id));
    assert.deepEqual((await acme.agent.get('/api/company/audit?limit=500', spoof)).body.events.map((e: any) => e.id), own.map((e) => e.id));
    assert.deepEqual(await events(acme.agent, `/api/company/audit?actorId=${ids[globex.username]}`), []);
    assert.deepEqual(await events(acme.agent, `/api/company/audit?target=${ids[globex.username]}`), []);
    const csv = await acme.agent.get(`/api/company/audit.csv?companyId=${globex.companyId}`, spoof);
    assert.ok(csvRecords(csv.body).every((r) => r.company_id === acme.companyId));
    const all = JSON.stringify(own);
    assert.ok(!all.includes(globex.companyId) && !all.includes('evil.test'), "nothing of the other company's");
  });

  test('an operator sees every company and can filter by one', async () => {
    const rows = await events(operator, '/api/operator/audit?limit=500');
    for (const company of [acme, globex]) assert.ok(rows.some((e) => e.companyId === company.companyId));
    const platformId = (await operator.get('/api/me')).body.company.id;
    assert.ok(rows.some((e) => e.companyId === platformId && e.action === 'login.succeeded'), 'the platform company too');
    const only = await events(operator, `/api/operator/audit?limit=500&companyId=${globex.companyId}`);
    assert.ok(only.length > 0 && only.every((e) => e.companyId === globex.companyId && e.companyName === EVIL_COMPANY));
    const bad = await operator.get('/api/operator/audit?companyId=not-a-uuid');
    assert.equal(bad.status, 400);
    assert.ok(bad.body.error.fields.companyId);
  });

  test('filters: action (exact or prefix), actor, target, dates', async () => {
    const failed = await events(acme.agent, '/api/company/audit?action=login.failed');
    assert.ok(failed.length > 0 && failed.every((e) => e.action === 'login.failed'));
    const logins = await events(acme.agent, '/api/company/audit?action=login.&limit=500');
    assert.ok(logins.every((e) => e.action.startsWith('login.')));
    assert.deepEqual(new Set(logins.map((e) => e.action)), new Set(['login.failed', 'login.succeeded']));
    assert.deepEqual(await events(acme.agent, '/api/company/audit?action=login'), [], 'no dot: exact');
    const byCasey = await events(acme.agent, `/api/company/audit?actorId=${ids.casey}&limit=500`);
    assert.ok(byCasey.length >= 3 && byCasey.every((e) => e.actor.id === ids.casey));
    const aboutCasey = await events(acme.agent, `/api/company/audit?target=${ids.casey}&action=totp.enrolled`);
    assert.equal(aboutCasey.length, 1);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    assert.deepEqual(await events(acme.agent, `/api/company/audit?from=${tomorrow}`), []);
    assert.deepEqual(await events(acme.agent, `/api/company/audit?to=${yesterday}`), []);
    const wholeDay = await events(acme.agent, `/api/company/audit?from=${today()}&to=${today()}&limit=500`);
    assert.equal(wholeDay.length, (await events(acme.agent, '/api/company/audit?limit=500')).length);
    assert.deepEqual(await events(acme.agent, `/api/company/audit?to=${encodeURIComponent('2001-01-01T00:00:00+02:00')}`), []);
    for (const query of ['limit=501', 'limit=0', 'from=31-01-2025', 'to=yesterday', 'cursor=abc', "action=login'--", 'limit=1&limit=2']) {
      const answer = await acme.agent.get(`/api/company/audit?${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal(answer.body.error.code, 'request.invalid');
    }
  });

  test('the cursor pages through everything, newest first, once each', async () => {
    const all = (await events(acme.agent, '/api/company/audit?limit=500')).map((e) => e.id);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const answer: any = await acme.agent.get(`/api/company/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(answer.status, 200);
      assert.ok(answer.body.events.length <= 2);
      seen.push(...answer.body.events.map((e: any) => e.id));
      cursor = answer.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, all);
    assert.deepEqual([...seen].sort((a, b) => b - a), seen, 'newest first');
  });

  test('CSV: an attachment, well-formed, escaped and formula-safe', async () => {
    const answer = await operator.get(`/api/operator/audit.csv?companyId=${globex.companyId}`);
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
    assert.equal(answer.headers.get('content-disposition'), `attachment; filename="gatehouse-audit-${today()}.csv"`);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const records = csvRecords(answer.body);
    assert.equal(records.length, (await events(operator, `/api/operator/audit?limit=500&companyId=${globex.companyId}`)).length);
    assert.ok(records.every((r) => r.company_name === `'${EVIL_COMPANY}`), 'the formula is defused');
    assert.ok(answer.body.includes(`"'=HYPERLINK(""http://evil.test"",""Open"")"`), 'quoted, quotes doubled, leading quote');
    assert.ok(parseStrictCsv(answer.body).flat().every((cell) => !/^[=+\-@\t\r]/.test(cell)), 'no cell starts a formula');

    const own = await acme.agent.get('/api/company/audit.csv?action=login.failed');
    const failed = csvRecords(own.body);
    assert.ok(failed.length > 0 && failed.every((r) => r.action === 'login.failed' && r.company_name === 'Acme Managed IT'));
    assert.ok(failed.some((r) => r.user_agent === `'${EVIL_AGENT}`));
    assert.deepEqual(JSON.parse(failed[0]?.detail ?? ''), { reason: 'wrong_password' });
    assert.deepEqual(Object.keys(failed[0] ?? {}), ['id', 'time', 'company_id', 'company_name', 'actor_id', 'actor_username', 'actor_api_client_id', 'actor_api_client_name', 'action', 'target', 'ip', 'user_agent', 'detail']);
  });

  test('a module login records module.launched', async () => {
    const ticketing = await grantedModule(server, operator, acme.companyId, { name: 'Ticketing' });
    await signInToModule(ticketing.config, acme.agent);
    const launched = await events(acme.agent, '/api/company/audit?action=module.launched');
    assert.equal(launched.length, 1);
    assert.equal(launched[0].actor.username, acme.username);
    assert.deepEqual(launched[0].detail, { clientId: ticketing.module.clientId, module: 'Ticketing' });
    assert.deepEqual(await events(globex.agent, '/api/company/audit?action=module.'), [], 'not in another company');
    // A second launch signs in silently (no login page), and is recorded all the same.
    await signInToModule(ticketing.config, acme.agent);
    assert.equal((await events(acme.agent, '/api/company/audit?action=module.launched')).length, 2);
  });

  test('lockout and logout are recorded', async () => {
    const lockable = await companyUser(server, acme, 'lee');
    for (let i = 0; i < 5; i++) await wrongPassword('lee', acme.companyName);
    const locked = await events(acme.agent, '/api/company/audit?action=login.locked');
    assert.equal(locked.length, 1);
    assert.equal(locked[0].target, (await lockable.agent.get('/api/me')).body.user.id);

    const browser = server.agent();
    await logInAgain(server, browser, casey);
    assert.equal((await browser.post('/api/logout')).status, 200);
    const ended = await events(acme.agent, `/api/company/audit?action=session.ended&actorId=${ids.casey}`);
    assert.equal(ended.length, 1);
    assert.deepEqual(ended[0].detail, { reason: 'logout' });
  });

  test('append-only: nothing changes or deletes an event', async () => {
    const earlier = await events(operator, '/api/operator/audit?limit=500');
    for (const method of ['DELETE', 'PUT', 'PATCH', 'POST']) {
      for (const path of ['/api/company/audit', `/api/company/audit/${earlier[0].id}`, '/api/operator/audit']) {
        assert.equal((await operator.request(method, path, method === 'DELETE' ? undefined : {})).status, 404, `${method} ${path}`);
      }
    }
    assert.deepEqual(await events(operator, '/api/operator/audit?limit=500'), earlier);
  });
});
