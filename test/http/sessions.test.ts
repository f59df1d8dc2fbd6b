// Browser sessions: cookie attributes (http and https), a fresh id at every login, no
// adoption of planted cookies, logout and timeouts that end the session on the server.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { firstOperatorSetup } from '../../src/companies/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { BrowserCookies } from '../helpers/cookie-jar.ts';
import { signedInOperator, STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestCertificate, type TestCertificate } from '../helpers/tls.ts';
import { totpAt } from '../helpers/totp.ts';

/** The attributes of one Set-Cookie line, lower-cased names: { name, value, httponly: '', ... }. */
function parseSetCookie(line: string) {
  const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  const parsed: Record<string, string> = { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
  for (const attribute of attributes) {
    const [key = '', value = ''] = attribute.split('=');
    parsed[key.toLowerCase()] = value;
  }
  return parsed;
}
const findCookie = (lines: string[], name: string) => lines.map(parseSetCookie).find((c) => c.name === name);

describe('session cookies over plain http (the localhost exception)', () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  before(async () => {
    server = await startTestServer();
    operator = await signedInOperator(server);
  });
  after(() => server.close());

  const who = () => ({ username: operator.username, companyName: operator.companyName, password: STRONG_PASSWORD, totpSecret: operator.totpSecret });
  /** Logs in again on `agent`, returning the Set-Cookie lines of the final step. */
  async function loginLines(agent: Agent) {
    const flow = await agent.post('/api/login/identify', who());
    await agent.post('/api/login/password', { password: STRONG_PASSWORD });
    server.clock.advance(30_000);
    const done = await agent.post('/api/login/totp', { code: totpAt(operator.totpSecret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    return { flowLines: flow.setCookies, doneLines: done.setCookies };
  }
  const meStatus = async (cookie: string) => {
    const agent = server.agent();
    agent.cookies.set('gh_session', cookie);
    return (await agent.get('/api/me')).status;
  };

  test('flow and session cookies are HttpOnly, SameSite=Lax, Path=/, host-only, at most 12 h', async () => {
    const { flowLines, doneLines } = await loginLines(server.agent());
    const flow = findCookie(flowLines, 'gh_flow');
    const session = findCookie(doneLines, 'gh_session');
    for (const cookie of [flow, session]) {
      assert.ok(cookie, 'cookie set');
      assert.equal(cookie.httponly, '');
      assert.equal(cookie.samesite?.toLowerCase(), 'lax');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.domain, undefined);
    }
    assert.match(session?.value ?? '', /^[A-Za-z0-9_-]{43}$/, '256-bit random value');
    // Until the password is proved the flow travels in its cookie, sealed (test/http/login-pending-flow.test.ts).
    assert.match(flow?.value ?? '', /^p2\.v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+$/, 'a sealed flow');
    assert.ok(Number(session?.['max-age']) <= 12 * 3600);
    const cleared = findCookie(doneLines, 'gh_flow');
    assert.equal(cleared?.value, '', 'the flow cookie is cleared at login');
  });

  test('a planted session cookie is never adopted, and every login gets a fresh id', async () => {
    const planted = 'P'.repeat(43);
    const browser = server.agent();
    browser.cookies.set('gh_session', planted);
    await loginLines(browser);
    const first = browser.cookies.get('gh_session') as string;
    assert.notEqual(first, planted);
    assert.equal(await meStatus(planted), 401);
    assert.equal(await meStatus(first), 200);

    await loginLines(browser);
    const second = browser.cookies.get('gh_session') as string;
    assert.notEqual(second, first);
    assert.equal(await meStatus(first), 401, 'the session replaced at login is ended');
    assert.equal(await meStatus(second), 200);
  });

  test('logout ends the session on the server: the old cookie replayed gets 401', async () => {
    const browser = server.agent();
    await loginLines(browser);
    const cookie = browser.cookies.get('gh_session') as string;
    const out = await browser.post('/api/logout');
    assert.equal(out.status, 200);
    assert.equal(findCookie(out.setCookies, 'gh_session')?.value, '');
    const replay = server.agent();
    replay.cookies.set('gh_session', cookie);
    const me = await replay.get('/api/me');
    assert.equal(me.status, 401);
    assert.equal(me.body.error.code, 'session.required');
  });

  test('a session ends after 30 minutes idle, and after 12 hours however active', async () => {
    const idle = server.agent();
    await loginLines(idle);
    server.clock.advance(29 * 60_000);
    assert.equal((await idle.get('/api/me')).status, 200);
    server.clock.advance(29 * 60_000);
    assert.equal((await idle.get('/api/me')).status, 200, 'use keeps it alive');
    server.clock.advance(30 * 60_000);
    assert.equal((await idle.get('/api/me')).status, 401);

    const busy = server.agent();
    await loginLines(busy);
    const started = server.clock();
    while (server.clock() + 20 * 60_000 < started + 12 * 3_600_000) {
      server.clock.advance(20 * 60_000);
      assert.equal((await busy.get('/api/me')).status, 200);
    }
    server.clock.set(started + 12 * 3_600_000);
    assert.equal((await busy.get('/api/me')).status, 401, 're-authentication after 12 h');
  });

  test('deactivating the user or suspending the company ends their sessions for good', async () => {
    const db = server.gatehouse.storage.db;
    for (const [table, set, undo] of [
      ['users', { status: 'disabled' }, { status: 'active' }],
      ['companies', { status: 'suspended' }, { status: 'active' }],
    ] as const) {
      const browser = server.agent();
      await loginLines(browser);
      const cookie = browser.cookies.get('gh_session') as string;
      const me = (await browser.get('/api/me')).body;
      // No admin API yet: the change is made where an admin action would make it.
      const where = table === 'users' ? me.user.id : me.company.id;
      await db.updateTable(table).set(set as never).where('id', '=', where).execute();
      assert.equal(await meStatus(cookie), 401, `${table}: refused at once`);
      await db.updateTable(table).set(undo as never).where('id', '=', where).execute();
      assert.equal(await meStatus(cookie), 401, `${table}: the session stays ended after re-activation`);
    }
  });

  test('login CSRF: the login steps refuse a foreign Origin and set no cookie', async () => {
    const attacker = { origin: 'https://evil.example' };
    for (const [path, body] of [['/api/login/identify', who()], ['/api/login/password', { password: STRONG_PASSWORD }], ['/api/login/totp', { code: '123456' }]] as const) {
      const answer = await server.agent().post(path, body, attacker);
      assert.equal(answer.status, 403, path);
      assert.equal(answer.body.error.code, 'csrf.forbidden_origin');
      assert.deepEqual(answer.setCookies, []);
    }
  });
});

describe('session cookies over https', () => {
  let server: TestServer;
  let certificate: TestCertificate;
  before(async () => {
    certificate = createTestCertificate();
    server = await startTestServer({ env: certificate.env });
  });
  after(async () => {
    await server.close();
    certificate.remove();
  });

  /** A minimal cookie-keeping JSON client over https that trusts only the test certificate. */
  function httpsAgent() {
    const jar = new BrowserCookies(server.baseUrl);
    const url = new URL(server.baseUrl);
    return {
      jar,
      post: (path: string, body: unknown = {}) => call('POST', path, body),
      get: (path: string) => call('GET', path),
    };
    function call(method: string, path: string, body?: unknown) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise<{ status: number; body: any; headers: Record<string, unknown>; setCookies: string[] }>((resolve, reject) => {
        const req = https.request({
          host: '127.0.0.1', port: url.port, path, method, servername: 'localhost', ca: readFileSync(certificate.certFile),
          headers: {
            host: url.host, origin: url.origin,
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...(jar.headerFor(path) ? { cookie: jar.headerFor(path) } : {}),
          },
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const setCookies = res.headers['set-cookie'] ?? [];
            jar.store(path, setCookies);
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: res.headers, setCookies });
          });
        });
        req.on('error', reject);
        req.end(payload);
      });
    }
  }

  test('cookies carry the __Host- prefix and Secure; HSTS is sent; an unprefixed cookie is ignored', async () => {
    const setup = await firstOperatorSetup(server.gatehouse.deps);
    assert.ok(setup);
    const browser = httpsAgent();
    const signup = await browser.post('/api/signup', { token: tokenFromLink(setup.url), password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
    assert.equal(signup.status, 200, JSON.stringify(signup.body));
    assert.match(String(signup.headers['strict-transport-security']), /max-age=\d{7,}/);

    const identified = await browser.post('/api/login/identify', { username: setup.username, companyName: setup.companyName });
    const flow = findCookie(identified.setCookies, '__Host-gh_flow');
    assert.equal((await browser.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'enroll');
    const { secret } = (await browser.post('/api/login/enroll/start')).body;
    const done = await browser.post('/api/login/enroll/verify', { code: totpAt(secret, server.clock()) });
    assert.equal(done.status, 200);
    const session = findCookie(done.setCookies, '__Host-gh_session');
    for (const cookie of [flow, session]) {
      assert.ok(cookie, 'a __Host- cookie');
      assert.equal(cookie.secure, '');
      assert.equal(cookie.httponly, '');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.domain, undefined);
      assert.equal(cookie.samesite?.toLowerCase(), 'lax');
    }
    assert.equal((await browser.get('/api/me')).status, 200);

    // A sibling subdomain can plant "gh_session" but never "__Host-gh_session".
    const planted = httpsAgent();
    planted.jar.set('gh_session', session!.value!);
    assert.equal((await planted.get('/api/me')).status, 401);
  });
});
