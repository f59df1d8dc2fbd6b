// GET /metrics: Prometheus text from a listener of its own, or on the public port behind a
// bearer token, and never on the public port without one. The counters move with what a
// user does: a login's steps, its requests, the database statements behind them, and a
// module's token request (answered by the provider, past Fastify's own reply).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { storedTestModule } from '../helpers/oidc.ts';
import { rawSocketExchange, UNPARSABLE_REQUESTS } from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'metrics-token-0123456789abcdefghijklmnop';

/** The value of one sample (name and exact label set) in Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return 0;
}

async function scrape(server: TestServer): Promise<string> {
  const url = server.gatehouse.metricsUrl();
  assert.ok(url, 'the metrics listener is up');
  const answer = await fetch(url);
  assert.equal(answer.status, 200);
  assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
  return answer.text();
}

for (const engine of await enginesUnderTest()) {
  describe(`metrics (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      // Workers quiet: a write of theirs (housekeeping's deletes, a notice or a mail sent) in
      // the token request's turn of the event loop would take its write into a flushed batch.
      server = await startTestServer({ engine, realClock: true, quietWorkers: true, env: { GATEHOUSE_METRICS_PORT: '0', GATEHOUSE_METRICS_TOKEN: TOKEN } });
    });
    after(() => server.close());

    test('a login moves the step counters, the request durations and the query durations', async () => {
      const before = await scrape(server);
      const operator = await signedInOperator(server);
      const wrong = server.agent();
      await wrong.post('/api/login/identify', { username: operator.username, companyName: operator.companyName });
      assert.equal((await wrong.post('/api/login/password', { password: `${STRONG_PASSWORD}x` })).status, 401);
      const afterLogin = await scrape(server);

      const moved = (name: string, labels: Record<string, string>) => sample(afterLogin, name, labels) - sample(before, name, labels);
      assert.equal(moved('gatehouse_login_steps_total', { step: 'identify', outcome: 'ok' }), 2);
      assert.equal(moved('gatehouse_login_steps_total', { step: 'password', outcome: 'ok' }), 1);
      assert.equal(moved('gatehouse_login_steps_total', { step: 'password', outcome: 'refused' }), 1);
      assert.equal(moved('gatehouse_login_steps_total', { step: 'enroll/verify', outcome: 'ok' }), 1);
      assert.equal(moved('gatehouse_http_request_duration_seconds_count', { route: '/api/login/password', method: 'POST', status: '200' }), 1);
      assert.equal(moved('gatehouse_http_request_duration_seconds_count', { route: '/api/login/password', method: 'POST', status: '401' }), 1);
      assert.ok(moved('gatehouse_db_query_duration_seconds_count', { kind: 'select', failed: 'false' }) > 0);
      assert.ok(moved('gatehouse_db_query_duration_seconds_count', { kind: 'update', failed: 'false' }) > 0);
      assert.ok(sample(afterLogin, 'gatehouse_process_resident_memory_bytes') > 0);
      assert.match(afterLogin, /^gatehouse_password_hashes\{state="running"\} 0$/m);
      assert.match(afterLogin, /^gatehouse_password_hashes\{state="waiting"\} 0$/m);
      assert.match(afterLogin, /^gatehouse_outbox_pending\{outbox="mail"\} \d+$/m);
      assert.match(afterLogin, /^gatehouse_outbox_pending\{outbox="logout"\} 0$/m);
      if (engine === 'postgres') {
        assert.ok(sample(afterLogin, 'gatehouse_db_pool_connections', { state: 'total' }) >= 1);
        assert.equal(sample(afterLogin, 'gatehouse_sqlite_commit_statements_count'), 0);
      } else {
        assert.doesNotMatch(afterLogin, /gatehouse_db_pool_connections\{/);
        // The login's writes were committed, in group commits that each held at least one.
        const commits = moved('gatehouse_sqlite_commit_statements_count', {});
        assert.ok(commits > 0);
        assert.ok(moved('gatehouse_sqlite_commit_statements_sum', {}) >= commits);
        // Everything a login writes is flushed before its answers.
        assert.equal(moved('gatehouse_sqlite_unflushed_commits_total', {}), 0);
      }
    });

    test("a module's token request is timed under its provider route", async () => {
      const { module, clientSecret } = await storedTestModule(server);
      // Mail queued earlier is sent at once, timers or not: done before the token is asked for.
      await server.gatehouse.mailWorker.runOnce();
      const before = await scrape(server);
      const answer = await fetch(`${server.baseUrl}/oidc/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${module.client_id}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(answer.status, 200, await answer.clone().text());
      await answer.text();
      const labels = { route: '/oidc/token', method: 'POST', status: '200' };
      const afterToken = await scrape(server);
      assert.equal(sample(afterToken, 'gatehouse_http_request_duration_seconds_count', labels) - sample(before, 'gatehouse_http_request_duration_seconds_count', labels), 1);
      // On SQLite the token, a power cut's to lose (its module asks again), was committed
      // without waiting for the disk, in a batch of its own (nothing else writes meanwhile);
      // PostgreSQL commits as it always does.
      const unflushed = sample(afterToken, 'gatehouse_sqlite_unflushed_commits_total') - sample(before, 'gatehouse_sqlite_unflushed_commits_total');
      assert.equal(unflushed, engine === 'sqlite' ? 1 : 0);
    });

    test('the public port serves /metrics only with the bearer token', async () => {
      const anonymous = await server.agent().get('/metrics');
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.error.code, 'metrics.token_required');
      assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
      const wrong = await server.agent().get('/metrics', { authorization: `Bearer ${TOKEN}x` });
      assert.equal(wrong.status, 401);
      assert.doesNotMatch(String(wrong.body), /gatehouse_/);
      const right = await server.agent().get('/metrics', { authorization: `Bearer ${TOKEN}` });
      assert.equal(right.status, 200);
      assert.match(String(right.body), /^gatehouse_http_request_duration_seconds_count\{/m);
    });

    test('the metrics listener answers nothing but GET /metrics', async () => {
      const url = new URL(server.gatehouse.metricsUrl() as string);
      for (const refused of [await fetch(new URL('/api/login/identify', url)), await fetch(url, { method: 'POST' })]) {
        assert.equal(refused.status, 404);
        assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'request.not_found');
        assert.equal(refused.headers.get('x-content-type-options'), 'nosniff');
      }
      assert.equal((await fetch(url)).headers.get('x-content-type-options'), 'nosniff', 'the scrape itself too');
    });

    // The metrics port is on a network too (loopback by default, a private one in
    // production): what a client may do to it is what it may do to the public port.
    test("the metrics listener answers what Node's parser refuses as the public port does", async () => {
      const port = Number(new URL(server.gatehouse.metricsUrl() as string).port);
      for (const [name, bytes, status, code] of UNPARSABLE_REQUESTS) {
        const { statusLine, headers, body } = await rawSocketExchange(port, bytes);
        assert.match(statusLine, new RegExp(`^HTTP/1.1 ${status} `), name);
        assert.match(headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, name);
        assert.equal(headers.get('x-content-type-options'), 'nosniff', name);
        assert.equal(JSON.parse(body).error.code, code, name);
      }
    });
  });
}

describe('the metrics listener and a slow client', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { GATEHOUSE_METRICS_PORT: '0', GATEHOUSE_REQUEST_TIMEOUT_SECONDS: '1' } });
  });
  after(() => server.close());

  // A client trickling its headers a byte at a time holds the connection only as long as
  // GATEHOUSE_REQUEST_TIMEOUT_SECONDS allows, as on the public port (Node's own default is
  // a minute for the headers). The trickle is longer than the limit; the server ends it.
  test('a request trickled a byte at a time is cut off at the request timeout', async () => {
    const port = Number(new URL(server.gatehouse.metricsUrl() as string).port);
    const slow = `GET /metrics HTTP/1.1\r\nHost: localhost\r\n${'X-Slow: y\r\n'.repeat(100)}\r\n`;
    const { statusLine, body } = await rawSocketExchange(port, slow, { everyMs: 50 });
    assert.match(statusLine, /^HTTP\/1.1 408 /);
    assert.equal(JSON.parse(body).error.code, 'request.timeout');
  });
});

describe('metrics without a listener or a token', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('nothing serves them: /metrics on the public port is an unknown path, and none are kept', async () => {
    assert.equal(server.gatehouse.metricsUrl(), undefined);
    // Nowhere to be scraped: no registry, no request or statement timed (src/metrics/metrics.ts).
    assert.equal(server.gatehouse.metrics.registry, undefined);
    const answer = await server.agent().get('/metrics', { authorization: `Bearer ${TOKEN}` });
    assert.equal(answer.status, 404);
    assert.doesNotMatch(JSON.stringify(answer.body), /gatehouse_/);
  });
});
