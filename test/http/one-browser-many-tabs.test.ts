// A browser has one session cookie and one login cookie for all its tabs. A page names
// what it shows (the user, from GET /api/me; the login, by the loginId of its answers),
// and a request for what another tab has replaced since is refused, never answered for
// the other account: a page opened as Dana in Acme must not list or change Beta's users
// after Erin logged in to Beta in a second tab, and Dana's password must not be tried
// against Erin's login (nor her failure counted against Erin).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, type SignedInCompany } from '../helpers/company-admin.ts';
import { logIn, signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';

const LOGIN = 'x-gatehouse-login';
const USER = 'x-gatehouse-user';

describe('one browser, many tabs', () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let beta: SignedInCompany;
  before(async () => {
    server = await startTestServer();
    const operator = await signedInOperator(server);
    acme = await companyWithRootMaster(server, operator.agent, 'Acme Managed IT', 'dana@acme.test');
    beta = await companyWithRootMaster(server, operator.agent, 'Beta Networks', 'erin@beta.test');
  });
  after(() => server.close());

  const who = (company: SignedInCompany) => ({ username: company.root.username, companyName: company.companyName });
  const failedLogins = async (company: SignedInCompany) =>
    (await dbOf(server).selectFrom('users').select('failed_logins').where('id', '=', company.root.id).executeTakeFirstOrThrow()).failed_logins;
  const failuresAudited = async (company: SignedInCompany) =>
    (await dbOf(server).selectFrom('audit_events').select('id').where('action', '=', 'login.failed').where('company_id', '=', company.companyId).execute()).length;

  test("a password sent from Dana's page after another tab identified Erin is refused, tried against no one", async () => {
    const browser = server.agent();
    const danaTab = await browser.post('/api/login/identify', who(acme));
    assert.equal(danaTab.status, 200);
    const danaLogin = danaTab.body.loginId as string;
    assert.match(danaLogin, /^[0-9a-f]{32}$/);
    const erinTab = await browser.post('/api/login/identify', who(beta));
    const erinLogin = erinTab.body.loginId as string;
    assert.notEqual(erinLogin, danaLogin, 'each login has its own id');
    const erinFailures = await failedLogins(beta);
    const erinAudited = await failuresAudited(beta);

    // Both have the same password: checked against the cookie's login, it would move Erin's on.
    const stale = await browser.post('/api/login/password', { password: STRONG_PASSWORD }, { [LOGIN]: danaLogin });
    assert.equal(stale.status, 409, JSON.stringify(stale.body));
    assert.equal(stale.body.error.code, 'login.restarted');
    const wrong = await browser.post('/api/login/password', { password: 'not-her-password-1!' }, { [LOGIN]: danaLogin });
    assert.equal(wrong.body.error.code, 'login.restarted', 'a wrong password from the stale page is not checked either');
    assert.equal(await failedLogins(beta), erinFailures, "no failure counted against Erin's account");
    assert.equal(await failuresAudited(beta), erinAudited, 'no failed login recorded for Beta');

    // The page asks where the login stands: Erin's, still at the password step.
    const state = await browser.get('/api/login');
    assert.deepEqual([state.body.step, state.body.username, state.body.loginId], ['password', beta.root.username, erinLogin]);
    const onward = await browser.post('/api/login/password', { password: STRONG_PASSWORD }, { [LOGIN]: erinLogin });
    assert.equal(onward.status, 200, JSON.stringify(onward.body));
    assert.equal(onward.body.step, 'totp');
    // The login keeps its id once stored (the cookie now names a row).
    assert.equal((await browser.get('/api/login')).body.loginId, erinLogin);
    const code = await browser.post('/api/login/totp', { code: totpAt(beta.root.totpSecret, server.clock()) }, { [LOGIN]: danaLogin });
    assert.equal(code.body.error?.code, 'login.restarted', 'the code step is held to the login shown too');
  });

  test('every step under /api/login refuses a stale login before reading its body, and the starts do not', async () => {
    const document = (await server.agent().get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const posts = Object.entries(document.paths)
      .filter(([path, methods]) => path.startsWith('/api/login/') && 'post' in methods)
      .map(([path]) => path);
    const starts = ['/api/login/identify', '/api/login/passkey/options', '/api/login/forgot-password', '/api/login/forgot-company'];
    assert.ok(starts.every((path) => posts.includes(path)), 'the starts are login routes');
    const steps = posts.filter((path) => !starts.includes(path));
    assert.ok(steps.length >= 12, `the login's steps: ${steps.join(', ')}`);
    for (const path of steps) {
      const browser = server.agent();
      const shown = (await browser.post('/api/login/identify', who(acme))).body.loginId as string;
      await browser.post('/api/login/identify', who(beta));
      const answer = await browser.post(path, {}, { [LOGIN]: shown });
      assert.equal(answer.status, 409, `${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'login.restarted', path);
    }
    // A start is a new login: a page naming an old one may still begin it.
    const browser = server.agent();
    const shown = (await browser.post('/api/login/identify', who(acme))).body.loginId as string;
    await browser.post('/api/login/identify', who(beta));
    const again = await browser.post('/api/login/identify', who(acme), { [LOGIN]: shown });
    assert.equal(again.status, 200);
    assert.notEqual(again.body.loginId, shown, 'a new identify is a new login');
    const forgot = await browser.post('/api/login/forgot-password', who(acme), { [LOGIN]: shown });
    assert.equal(forgot.status, 200, JSON.stringify(forgot.body));
  });

  test("Restart from a stale page leaves the other tab's login alone", async () => {
    const browser = server.agent();
    const shown = (await browser.post('/api/login/identify', who(acme))).body.loginId as string;
    const current = (await browser.post('/api/login/identify', who(beta))).body.loginId as string;
    assert.equal((await browser.post('/api/login/restart', {}, { [LOGIN]: shown })).body.error.code, 'login.restarted');
    assert.equal((await browser.get('/api/login')).body.loginId, current);
  });

  test("a page showing Dana is refused once the browser's session is Erin's, for reads and changes alike", async () => {
    const browser = server.agent();
    await logIn(server, browser, { ...who(acme), password: STRONG_PASSWORD, totpSecret: acme.root.totpSecret });
    const dana = (await browser.get('/api/me')).body.user.id as string;
    assert.equal(dana, acme.root.id);
    assert.equal((await browser.get('/api/company/users', { [USER]: dana })).status, 200, 'the page and the session agree');
    server.clock.advance(30_000);
    await logIn(server, browser, { ...who(beta), password: STRONG_PASSWORD, totpSecret: beta.root.totpSecret });
    for (const [method, path] of [
      ['GET', '/api/me'],
      ['GET', '/api/company/users'],
      ['GET', '/api/modules'],
      ['POST', '/api/me/profile'],
      ['POST', '/api/company/users'],
    ] as const) {
      const answer = await browser.request(method, path, method === 'POST' ? {} : undefined, { [USER]: dana });
      assert.equal(answer.status, 409, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'session.changed', `${method} ${path}`);
    }
    // A page that names no one (a script, an older page) is answered for the session, as before.
    const me = await browser.get('/api/me');
    assert.equal(me.body.user.id, beta.root.id);
    assert.equal((await browser.get('/api/me', { [USER]: beta.root.id })).status, 200);
  });

  test('Log Out ends the login another tab has under way, past its password too', async () => {
    const browser = server.agent();
    server.clock.advance(30_000);
    await logIn(server, browser, { ...who(acme), password: STRONG_PASSWORD, totpSecret: acme.root.totpSecret });
    // Another tab: the same browser past the password step, at the code step.
    await browser.post('/api/login/identify', who(acme));
    assert.equal((await browser.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');
    const flowCookie = browser.cookies.get('gh_flow') as string;
    assert.ok(flowCookie);
    assert.equal((await browser.post('/api/logout')).status, 200);
    assert.deepEqual((await browser.get('/api/login')).body, { step: 'identify' }, 'the login page starts at the first step');
    // The flow is over, not only forgotten by the browser: its cookie played back is refused.
    const replay = server.agent();
    replay.cookies.set('gh_flow', flowCookie);
    server.clock.advance(30_000);
    const code = await replay.post('/api/login/totp', { code: totpAt(acme.root.totpSecret, server.clock()) });
    assert.equal(code.status, 409, JSON.stringify(code.body));
    assert.equal(code.body.error.code, 'login.flow_expired');
  });
});
