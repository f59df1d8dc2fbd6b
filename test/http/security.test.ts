// Cross-cutting HTTP defences: security headers, CSRF by origin, JSON only, a body size
// cap, and hostile input in every field of every endpoint answered 4xx, never 500.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Agent, Answer } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, approvedCompany, signedInOperator, tokenFromLink } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawSocketExchange, UNPARSABLE_REQUESTS } from '../helpers/raw-socket.ts';
import { rawRequest, type RawAnswer } from '../helpers/spellings.ts';

function assertErrorShape(answer: Answer, context: string) {
  assert.ok(answer.status >= 400 && answer.status < 500, `${context}: ${answer.status} ${JSON.stringify(answer.body)}`);
  assert.equal(typeof answer.body?.error?.code, 'string', context);
  assert.equal(typeof answer.body?.error?.message, 'string', context);
}

describe('headers, CSRF, media type and size', () => {
  let server: TestServer;
  let operator: Agent;
  let pendingId: string;
  before(async () => {
    server = await startTestServer();
    operator = (await signedInOperator(server)).agent;
    pendingId = (await server.agent().post('/api/account-requests', ACME_REQUEST)).body.id;
  });
  after(() => server.close());

  const isPending = async () =>
    (await operator.get('/api/operator/requests')).body.requests.some((r: any) => r.id === pendingId && r.status === 'pending');
  const requestNames = async () => (await operator.get('/api/operator/requests?status=all')).body.requests.map((r: any) => r.companyName);

  test('pages and API answers carry the security headers', async () => {
    const answers: Array<[string, Answer]> = [
      ['page /', await server.agent().get('/')],
      ['page /signup/<token>', await server.agent().get(`/signup/${'A'.repeat(43)}`)],
      ['GET /api/login', await server.agent().get('/api/login')],
      ['401 /api/me', await server.agent().get('/api/me')],
      ['404 /api/nothing', await server.agent().get('/api/nothing')],
      ['POST /api/login/identify', await server.agent().post('/api/login/identify', { username: 'a', companyName: 'b' })],
      ['GET /healthz', await server.agent().get('/healthz')],
      // Refused by the router before any hook runs (error-handler.ts, frameworkErrorHandler).
      ['router 400 /api/signup/<bad escape>', await server.agent().get('/api/signup/%E0%A4%A')],
      ['router 400 page /signup/%', await server.agent().get('/signup/%')],
      ['router 400 page /oidc-interaction/%%%', await server.agent().get('/oidc-interaction/%%%')],
      ['router 404 /api/company/users/<over-long id>', await server.agent().get(`/api/company/users/${'a'.repeat(200)}`)],
    ];
    for (const [name, answer] of answers) {
      const csp = answer.headers.get('content-security-policy') ?? '';
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
      const scriptSrc = directives.get('script-src') ?? directives.get('default-src') ?? [];
      assert.ok(scriptSrc.length > 0, `${name}: script-src`);
      assert.ok(!scriptSrc.includes("'unsafe-inline'") && !scriptSrc.includes("'unsafe-eval'"), `${name}: ${csp}`);
      assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], name);
      assert.deepEqual(directives.get('object-src'), ["'none'"], name);
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', name);
      assert.equal(answer.headers.get('referrer-policy'), 'no-referrer', name);
      assert.equal(answer.headers.get('cross-origin-opener-policy'), 'same-origin', name);
      assert.equal(answer.headers.get('x-frame-options'), 'DENY', name);
      assert.equal(answer.headers.get('x-powered-by'), null, name);
      assert.equal(answer.headers.get('strict-transport-security'), null, `${name}: no HSTS over plain http`);
      if (name.includes('/api/')) assert.equal(answer.headers.get('cache-control'), 'no-store', name);
    }
  });

  // Node's parser answers some requests before any hook runs (a malformed header, headers
  // over the size limit): the same error shape and the same headers as every other answer.
  test("answers Node's HTTP parser makes carry the security headers and the error shape", async () => {
    const { port } = new URL(server.baseUrl);
    for (const [name, bytes, status, code] of UNPARSABLE_REQUESTS) {
      const { statusLine, headers, body } = await rawSocketExchange(Number(port), bytes);
      assert.match(statusLine, new RegExp(`^HTTP/1.1 ${status} `), name);
      assert.match(headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, name);
      assert.equal(headers.get('x-content-type-options'), 'nosniff', name);
      assert.equal(headers.get('x-frame-options'), 'DENY', name);
      assert.equal(headers.get('cache-control'), 'no-store', name);
      assert.equal(JSON.parse(body).error.code, code, name);
    }
  });

  // Only an answer whose route chose a lifetime may be kept (UNCHOSEN_CACHE,
  // src/http/security-headers.ts, and the provider's post-middleware): the sign-in's own
  // redirects outside /api (a company provider's answer landing, an old login page sent on
  // to its resume), the provider's 404, health, metadata, the router's refusals.
  test('every answer is no-store unless its route chose how long it may be kept', async () => {
    const base = server.baseUrl;
    const company = randomUUID();
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: base };
    const unchosen: Array<[string, RawAnswer]> = [
      ['SAML answer landing', await rawRequest(base, 'POST', `/saml/${company}/acs/continue`, form, 'SAMLResponse=abc')],
      ['SAML answer landing, no company', await rawRequest(base, 'POST', '/saml/x/acs/continue', form, 'SAMLResponse=abc')],
      ['OpenID Connect provider answer landing', await rawRequest(base, 'GET', `/sso/${company}/oidc/callback?state=x&code=y`)],
      ['an old login page sent on to its resume', await rawRequest(base, 'GET', '/oidc-interaction/AbC123')],
      ["the provider's 404", await rawRequest(base, 'GET', '/oidc/nothing-here')],
      ['SAML metadata', await rawRequest(base, 'GET', `/saml/${company}/metadata`)],
      ['liveness', await rawRequest(base, 'GET', '/healthz')],
      ['readiness', await rawRequest(base, 'GET', '/readyz')],
      ['an unknown machine path', await rawRequest(base, 'GET', '/nothing.json')],
    ];
    const kept = unchosen.filter(([, answer]) => answer.headers['cache-control'] !== 'no-store').map(([name, answer]) => `${name} (${answer.status}): ${answer.headers['cache-control']}`);
    assert.deepEqual(kept, []);
    // The lifetimes routes chose stay theirs.
    assert.equal((await rawRequest(base, 'GET', '/oidc/.well-known/openid-configuration')).headers['cache-control'], 'public, max-age=300');
    assert.equal((await rawRequest(base, 'GET', '/oidc/jwks')).headers['cache-control'], 'public, max-age=60');
  });

  test('the page has no inline script for the CSP to forbid', async () => {
    const page = await server.agent().get('/');
    assert.equal(page.status, 200, 'the web app is built (npm run build:web)');
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = page.body as string;
    for (const [, attributes, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      assert.match(attributes ?? '', /\bsrc=/, 'every script is a file');
      assert.equal(body?.trim(), '', 'no script body');
    }
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
  });

  test('a state change from a foreign origin gets 403 and changes nothing', async () => {
    const foreign = ['https://evil.example', 'null', server.baseUrl.replace('http:', 'https:'), server.baseUrl.replace(/:\d+$/, ':1')];
    for (const origin of foreign) {
      const request = await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: `Forged ${origin}` }, { origin });
      assert.equal(request.status, 403, origin);
      assert.equal(request.body.error.code, 'csrf.forbidden_origin');
      const approve = await operator.post(`/api/operator/requests/${pendingId}/approve`, {}, { origin });
      assert.equal(approve.status, 403, origin);
    }
    const logout = await operator.post('/api/logout', {}, { origin: 'https://evil.example' });
    assert.equal(logout.status, 403);
    assert.equal((await operator.get('/api/me')).status, 200, 'still signed in');
    assert.ok(await isPending());
    assert.ok(!(await requestNames()).some((n: string) => n.startsWith('Forged')));
  });

  test('without Origin (or with Origin: null), Sec-Fetch-Site cross-site or same-site gets 403', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const answer = await fetch(`${server.baseUrl}/api/account-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'sec-fetch-site': site },
        body: JSON.stringify({ ...ACME_REQUEST, companyName: `Fetch Site ${site}` }),
      });
      assert.equal(answer.status, 403, site);
      assert.equal(((await answer.json()) as any).error.code, 'csrf.forbidden_origin');
    }
    const nullOrigin = await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: 'Fetch Site null' }, { origin: 'null', 'sec-fetch-site': 'cross-site' });
    assert.equal(nullOrigin.status, 403, 'Origin: null from another site');
    assert.ok(!(await requestNames()).some((n: string) => n.startsWith('Fetch Site')));
  });

  test('GET never changes state', async () => {
    assert.equal((await operator.get('/api/logout')).status, 404);
    assert.equal((await operator.get(`/api/operator/requests/${pendingId}/approve`)).status, 404);
    assert.equal((await operator.get('/api/me')).status, 200);
    assert.ok(await isPending());
  });

  test('only JSON bodies are read: forms and text/plain get 415', async () => {
    const bodies: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', new URLSearchParams({ ...ACME_REQUEST, companyName: 'Form Co' }).toString()],
      ['text/plain', JSON.stringify({ ...ACME_REQUEST, companyName: 'Form Co' })],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="companyName"\r\n\r\nForm Co\r\n--x--'],
    ];
    for (const [type, body] of bodies) {
      const answer = await server.agent().request('POST', '/api/account-requests', body, { 'content-type': type });
      assert.equal(answer.status, 415, type);
      assert.equal(answer.body.error.code, 'request.unsupported_media_type');
    }
    assert.ok(!(await requestNames()).includes('Form Co'));
  });

  test('a body over 64 KiB gets 413', async () => {
    const big = JSON.stringify({ ...ACME_REQUEST, companyName: 'Big Co', note: 'x'.repeat(64 * 1024) });
    const answer = await server.agent().request('POST', '/api/account-requests', big);
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error.code, 'request.too_large');
    const justUnder = await server.agent().request('POST', '/api/login/identify', JSON.stringify({ username: 'u', companyName: 'c', pad: 'x'.repeat(60 * 1024) }));
    assert.equal(justUnder.status, 200, 'the limit is not lower than it says');
  });
});

const HOSTILE_STRINGS = ["' OR '1'='1' --", "'); DROP TABLE users; --", 'a\u0000b', '\u0000', '\\', '%00', '\ud800', '${jndi:ldap://x}', 'x'.repeat(10_000)];
const WRONG_TYPES: unknown[] = [0, -1, 1e308, true, null, [], ['a'], {}, { $ne: null }];
const BAD_BODIES = ['[]', 'null', '"text"', '42', '{', '{"a":', '', '{"__proto__":{"isOperator":true}}'];

for (const engine of await enginesUnderTest()) describe(`hostile input in every field (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let token: string;
  let requestId: string;
  before(async () => {
    server = await startTestServer({ engine });
    operator = (await signedInOperator(server)).agent;
    token = tokenFromLink((await approvedCompany(server, operator)).link);
    requestId = (await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: 'Fuzz Target' })).body.id;
  });
  after(() => server.close());

  async function flowAgent() {
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: 'dana', companyName: ACME_REQUEST.companyName });
    return agent;
  }
  const request = { ...ACME_REQUEST, note: 'n' };
  const endpoints = (): Array<{ path: string; base: Record<string, unknown>; agent: () => Agent | Promise<Agent> }> => [
    { path: '/api/account-requests', base: request, agent: () => server.agent() },
    { path: '/api/signup', base: { token, password: 'Velvet-Harbor-42!', confirm: 'Velvet-Harbor-42!' }, agent: () => server.agent() },
    { path: '/api/login/identify', base: { username: 'dana', companyName: ACME_REQUEST.companyName }, agent: () => server.agent() },
    { path: '/api/login/password', base: { password: 'Velvet-Harbor-42!' }, agent: flowAgent },
    { path: '/api/login/totp', base: { code: '123456' }, agent: flowAgent },
    { path: '/api/login/enroll/verify', base: { code: '123456' }, agent: flowAgent },
    { path: '/api/operator/requests', base: request, agent: () => operator },
    { path: `/api/operator/requests/${requestId}/approve`, base: { username: 'chief' }, agent: () => operator },
    { path: `/api/operator/requests/${requestId}/reject`, base: { reason: 'r' }, agent: () => operator },
  ];

  test('wrong JSON types in any field: 4xx with the error shape', async () => {
    for (const { path, base, agent } of endpoints()) {
      for (const field of Object.keys(base)) {
        for (const value of WRONG_TYPES) {
          const answer = await (await agent()).post(path, { ...base, [field]: value });
          assertErrorShape(answer, `${path} ${field}=${JSON.stringify(value)}`);
        }
      }
    }
  });

  test('SQL metacharacters, NUL bytes and 10k-character strings: handled as data, never 500', async () => {
    let n = 0;
    for (const { path, base, agent } of endpoints()) {
      // A fresh company name each time, so the other fields reach the database.
      const fresh = path.endsWith('/account-requests') || path === '/api/operator/requests';
      for (const field of Object.keys(base)) {
        for (const value of HOSTILE_STRINGS) {
          const body = { ...base, ...(fresh ? { companyName: `Fuzz ${(n += 1)}` } : {}), [field]: value };
          const answer = await (await agent()).post(path, body);
          assert.ok(answer.status < 500, `${path} ${field}=${JSON.stringify(value).slice(0, 40)}: ${answer.status} ${JSON.stringify(answer.body)}`);
          if (answer.status >= 400) assertErrorShape(answer, `${path} ${field}`);
        }
      }
    }
    for (const value of [...HOSTILE_STRINGS.filter((v) => v !== '\ud800'), 'x'.repeat(200)]) {
      const link = await server.agent().get(`/api/signup/${encodeURIComponent(value)}`);
      assertErrorShape(link, `GET /api/signup/${JSON.stringify(value).slice(0, 40)}`);
      const list = await operator.get(`/api/operator/requests?status=${encodeURIComponent(value)}`);
      assertErrorShape(list, `status=${JSON.stringify(value).slice(0, 40)}`);
    }
  });

  test('bodies that are not JSON objects, malformed or over-long URLs: 4xx with the error shape', async () => {
    for (const { path, agent } of endpoints()) {
      for (const raw of BAD_BODIES) {
        const answer = await (await agent()).request('POST', path, raw, { 'content-type': 'application/json' });
        assertErrorShape(answer, `${path} ${JSON.stringify(raw)}`);
      }
    }
    const long = await server.agent().get(`/api/signup/${'x'.repeat(10_000)}`);
    assertErrorShape(long, 'a 10k-character link token');
    assert.ok(!JSON.stringify(long.body).includes('x'.repeat(20)), 'the URL is not echoed back');
    assert.equal(long.headers.get('x-content-type-options'), 'nosniff');
    for (const path of ['/api/signup/%E0%A4%A', '/api/signup/%', '/api/signup/%00']) {
      assertErrorShape(await server.agent().get(path), `GET ${path}`);
    }
    assert.equal((await operator.get('/api/me')).body.user.isOperator, true);
  });
});
