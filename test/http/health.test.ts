// Liveness, readiness and a database outage. On PostgreSQL the database sits behind a
// TCP proxy the test stops and starts: while it is down the API answers a generic 503 and
// readiness is red, liveness stays green, and Gatehouse recovers without a restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent, Answer } from '../helpers/agent.ts';
import { ADMIN_POSTGRES_URL, createTestDatabase, enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { logIn, signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startTcpProxy, throughProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const UNAVAILABLE = { error: { code: 'service.unavailable', message: 'Gatehouse is temporarily unavailable. Try again shortly.' } };

describe('liveness and readiness', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('GET /healthz and /readyz answer 200 while all is well', async () => {
    const live = await server.agent().get('/healthz');
    assert.equal(live.status, 200);
    assert.deepEqual(live.body, { status: 'ok' });
    const ready = await server.agent().get('/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready' });
  });
});

if ((await enginesUnderTest()).includes('postgres')) describe('PostgreSQL outage', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  before(async () => {
    database = await createTestDatabase('postgres');
    const admin = new URL(ADMIN_POSTGRES_URL);
    proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    server = await startTestServer({ env: { GATEHOUSE_DATABASE_URL: throughProxy(database.url, proxy) } });
    operator = await signedInOperator(server);
  });
  after(async () => {
    await server.close();
    await proxy.stop();
    await database.drop();
  });

  const who = () => ({ username: operator.username, companyName: operator.companyName, password: STRONG_PASSWORD });
  function assertUnavailable(answer: Answer, what: string) {
    assert.equal(answer.status, 503, what);
    assert.deepEqual(answer.body, UNAVAILABLE, `${what}: a generic body, no driver detail`);
    assert.equal(answer.headers.get('cache-control'), 'no-store', what);
    assert.ok(!answer.setCookies.some((c) => c.includes('gh_session')), `${what}: no session`);
  }

  test('while the database is down: 503 with a generic body, readiness red, liveness green', async () => {
    const midLogin: Agent = server.agent();
    await midLogin.post('/api/login/identify', who());
    assert.equal((await midLogin.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');

    await proxy.stop();
    assert.equal((await server.agent().get('/healthz')).status, 200);
    const ready = await server.agent().get('/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { status: 'unavailable' });

    assertUnavailable(await operator.agent.get('/api/me'), 'a signed-in page');
    assertUnavailable(await operator.agent.get('/api/operator/requests'), 'the operator console');
    assertUnavailable(await server.agent().post('/api/login/identify', who()), 'identify');
    assertUnavailable(await midLogin.post('/api/login/totp', { code: '123456' }), 'the code step');
    assertUnavailable(await server.agent().post('/api/account-requests', {
      companyName: 'Outage Co', contactName: 'Olive', email: 'olive@outage.test', phone: '+1 555 0199',
    }), 'an account request');
    assertUnavailable(await server.agent().get(`/api/signup/${'A'.repeat(43)}`), 'a Sign Up link');
  });

  test('once the database is back, Gatehouse recovers without a restart', async () => {
    await proxy.start();
    assert.equal((await server.agent().get('/readyz')).status, 200);
    assert.equal((await operator.agent.get('/api/me')).status, 200, 'the session survived the outage');
    const browser = server.agent();
    await logIn(server, browser, { ...who(), totpSecret: operator.totpSecret });
    assert.equal((await browser.get('/api/me')).status, 200);
  });

  test('a closed connection pool (shutdown) also answers 503, never 500', async () => {
    await server.gatehouse.storage.close();
    assert.equal((await server.agent().get('/healthz')).status, 200);
    assert.equal((await server.agent().get('/readyz')).status, 503);
    assertUnavailable(await operator.agent.get('/api/me'), 'after the pool is closed');
    assertUnavailable(await server.agent().post('/api/login/identify', who()), 'identify after the pool is closed');
  });
});
