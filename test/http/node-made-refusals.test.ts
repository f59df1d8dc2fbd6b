// Every answer carries the security headers and no-store, in the API's error shape when it
// refuses (docs/SECURITY.md, Headers), on the public port and on the metrics listener
// alike (docs/OPERATIONS.md). Node makes two refusals itself, outside the 'clientError'
// path parserErrorHandler covers, and sent them bare (no CSP, nosniff, X-Frame-Options,
// Cache-Control, no body): 400 to an HTTP/1.1 request without a Host header, 417 to an
// Expect header other than 100-continue. Both are Gatehouse's own answers now
// (refuseLikeNode, hostRefusal: src/http/error-handler.ts); an HTTP/1.0 request, which
// needs no Host, is still served. RFC 9112 §3.2 refuses the other broken Hosts too: one
// named on two lines (Node kept the first, so what a proxy in front read could differ) or
// a value that is no authority; each variant below is refused, and every form the
// grammar allows is served.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawSocketExchange } from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const NODE_MADE_ANSWERS = [
  ['an HTTP/1.1 request without a Host header', 'GET /api/me HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'request.no_host'],
  ['two Host lines naming different hosts', 'GET /api/me HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n', 400, 'request.bad_host'],
  ['two Host lines naming the same host, spelled in two cases', 'GET /api/me HTTP/1.1\r\nHost: localhost\r\nhOST: localhost\r\nConnection: close\r\n\r\n', 400, 'request.bad_host'],
  ['an HTTP/1.0 request with two Host lines', 'GET /api/me HTTP/1.0\r\nHost: localhost\r\nHost: localhost\r\n\r\n', 400, 'request.bad_host'],
  ['a Host with a space in it', 'GET /api/me HTTP/1.1\r\nHost: local host\r\nConnection: close\r\n\r\n', 400, 'request.bad_host'],
  ['a Host with user information', 'GET /api/me HTTP/1.1\r\nHost: user@localhost\r\nConnection: close\r\n\r\n', 400, 'request.bad_host'],
  ['a Host with a path', 'GET /api/me HTTP/1.1\r\nHost: localhost/evil\r\nConnection: close\r\n\r\n', 400, 'request.bad_host'],
  ['a Host whose port is not a number', 'GET /api/me HTTP/1.1\r\nHost: localhost:80x\r\nConnection: close\r\n\r\n', 400, 'request.bad_host'],
  ['a Host with two ports', 'GET /api/me HTTP/1.1\r\nHost: localhost:80:81\r\nConnection: close\r\n\r\n', 400, 'request.bad_host'],
  ['a Host that is a comma-separated list', 'GET /api/me HTTP/1.1\r\nHost: localhost, evil.example\r\nConnection: close\r\n\r\n', 400, 'request.bad_host'],
  ['a Host with a broken escape', 'GET /api/me HTTP/1.1\r\nHost: local%zzhost\r\nConnection: close\r\n\r\n', 400, 'request.bad_host'],
  ['an Expect header Node does not know', 'GET /api/me HTTP/1.1\r\nHost: localhost\r\nExpect: nonsense\r\nConnection: close\r\n\r\n', 417, 'request.expectation_failed'],
] as const;

function assertHeadersAndShape(answer: Awaited<ReturnType<typeof rawSocketExchange>>, name: string, status: number, code?: string) {
  assert.match(answer.statusLine, new RegExp(`^HTTP/1.1 ${status} `), name);
  assert.match(answer.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, `${name}: CSP`);
  assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', `${name}: nosniff`);
  assert.equal(answer.headers.get('x-frame-options'), 'DENY', `${name}: X-Frame-Options`);
  assert.equal(answer.headers.get('cache-control'), 'no-store', `${name}: no-store`);
  assert.equal(typeof JSON.parse(answer.body).error?.code, 'string', `${name}: the error shape, not ${JSON.stringify(answer.body)}`);
  if (code) assert.equal(JSON.parse(answer.body).error.code, code, name);
}

describe("answers Node makes itself carry the security headers (sqlite)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ engine: 'sqlite', env: { GATEHOUSE_METRICS_PORT: '0' } });
  });
  after(() => server?.close());

  for (const [name, bytes, status, code] of NODE_MADE_ANSWERS) {
    test(`public port: ${name}`, async () => {
      assertHeadersAndShape(await rawSocketExchange(Number(new URL(server.baseUrl).port), bytes), name, status, code);
    });
    test(`metrics listener: ${name}`, async () => {
      const port = Number(new URL(server.gatehouse.metricsUrl() as string).port);
      assertHeadersAndShape(await rawSocketExchange(port, bytes.replace('/api/me', '/metrics')), name, status, code);
    });
  }

  test('every Host the grammar allows is served: a name, an address, an IPv6 literal, a port, an escape, an empty value', async () => {
    const port = Number(new URL(server.baseUrl).port);
    for (const host of ['localhost', 'LOCALHOST', `127.0.0.1:${port}`, `[::1]:${port}`, 'gate_house.example', 'a%41.example', '', 'localhost:']) {
      const answer = await rawSocketExchange(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.match(answer.statusLine, /^HTTP\/1.1 200 /, `Host: ${host}`);
      assert.deepEqual(JSON.parse(answer.body), { status: 'ok' }, `Host: ${host}`);
    }
  });

  test('an HTTP/1.0 request, which needs no Host, is served as before; so is Expect: 100-continue', async () => {
    const port = Number(new URL(server.baseUrl).port);
    const old = await rawSocketExchange(port, 'GET /healthz HTTP/1.0\r\n\r\n');
    assert.match(old.statusLine, /^HTTP\/1.[01] 200 /);
    assert.deepEqual(JSON.parse(old.body), { status: 'ok' });
    const continued = await rawSocketExchange(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
    assert.match(continued.statusLine, /^HTTP\/1.1 (100|200) /);
  });
});
