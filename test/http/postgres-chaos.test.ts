// PostgreSQL failing under load. `gatehouse serve` runs as its own process (a crash is an
// exit we can see, not a test runner that dies with it), connected through a TCP proxy,
// while logins and API calls keep coming and the database fails three ways in turn:
// its backends terminated every 25 ms, the proxy cut mid-query, and a restart (every
// connection dropped, nothing listening, then "starting up", then back). Throughout,
// the process must stay up and every answer be 2xx, 4xx or 503, never a 500 or a dropped
// connection; once the faults stop, logins work again, and the process still shuts
// down cleanly.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Agent, type Answer } from '../helpers/agent.ts';
import { ADMIN_POSTGRES_URL, createTestDatabase, enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { logIn, signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { freePort } from '../helpers/net.ts';
import { startTestServer, TEST_SECRET_KEY, type TestServer } from '../helpers/server.ts';
import { startTcpProxy, throughProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { until } from '../helpers/until.ts';

const CLI = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
const LOAD_USERS = 2;
const TERMINATIONS = 80;
const CUTS = 8;
/** Never asked for (the server trusts loopback), so it must never appear in the output either. */
const DATABASE_PASSWORD = 'chaos-db-password-never-logged';

type Who = { username: string; companyName: string; password: string };
/** The process under test runs on the wall clock, so TOTP codes come from it too. */
const wallClock = { clock: Object.assign(() => Date.now(), { set() {}, advance() {} }) } as unknown as TestServer;

if ((await enginesUnderTest()).includes('postgres')) describe('PostgreSQL chaos under load', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let admin: pg.Client;
  let dbName: string;
  let child: ChildProcess;
  let output = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let baseUrl: string;
  let dataDir: string;
  let loadUsers: Who[];
  let member: Who & { totpSecret: string };
  let fresh: Who;

  before(async () => {
    database = await createTestDatabase('postgres');
    dbName = new URL(database.url).pathname.slice(1);
    admin = new pg.Client({ connectionString: ADMIN_POSTGRES_URL });
    await admin.connect();
    const target = new URL(ADMIN_POSTGRES_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });

    // The accounts are made in-process on the same database (mail capture, test clock
    // and the first operator's link are easiest there). The process under test starts
    // as soon as the operator exists (so it prints no Sign Up link of its own), while
    // the companies are made; it sends mail to the same capture meanwhile.
    const seed: TestServer = await startTestServer({ env: { GATEHOUSE_DATABASE_URL: database.url } });
    try {
      const operator = await signedInOperator(seed);
      const started = startServe(seed.mail.url);
      const tenants = tenantFactory(seed, operator, { namePrefix: 'Chaos Co', emailDomain: 'chaos.test' });
      loadUsers = [];
      for (let i = 0; i < LOAD_USERS; i += 1) loadUsers.push(await tenants.signedUp());
      const signedIn = await tenants.member();
      member = { username: signedIn.username, companyName: signedIn.companyName, password: STRONG_PASSWORD, totpSecret: signedIn.totpSecret };
      fresh = await tenants.signedUp();
      await started;
    } finally {
      await seed.close();
    }
  });

  /** `gatehouse serve` as a child process on the proxied database; resolves once it listens. */
  async function startServe(smtpUrl: string) {
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-chaos-'));
    const url = new URL(throughProxy(database.url, proxy));
    url.password = DATABASE_PASSWORD;
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GATEHOUSE_|PORT$|HOST$)/.test(key)));
    child = spawn(process.execPath, [CLI, 'serve'], {
      env: {
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        GATEHOUSE_PUBLIC_URL: baseUrl,
        GATEHOUSE_DATABASE_URL: url.toString(),
        GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
        GATEHOUSE_SMTP_URL: smtpUrl,
        GATEHOUSE_MAIL_FROM: 'Gatehouse <noreply@gatehouse.test>',
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_DEMO_MODULE: 'off',
        GATEHOUSE_LOG_LEVEL: 'warn',
        GATEHOUSE_ARGON2_MAX_CONCURRENCY: '2',
        // The load's attempts name their own addresses (loginAttempt).
        GATEHOUSE_TRUST_PROXY: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => (exited = { code, signal }));
    await until(() => output.includes('Gatehouse is running') || exited !== undefined, 'gatehouse serve to start', 45_000);
    assert.equal(exited, undefined, `serve exited at start:\n${output}`);
  }

  after(async () => {
    if (child && exited === undefined) child.kill('SIGKILL');
    await proxy?.stop();
    await admin?.end();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every answer, by status; a request that got no HTTP answer at all counts as "no answer". */
  const answers = new Map<string, number>();
  async function observe(request: Promise<Answer>): Promise<Answer | undefined> {
    try {
      const answer = await request;
      answers.set(String(answer.status), (answers.get(String(answer.status)) ?? 0) + 1);
      return answer;
    } catch (error) {
      const key = `no answer: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`;
      answers.set(key, (answers.get(key) ?? 0) + 1);
      return undefined;
    }
  }
  const count = (status: string) => answers.get(status) ?? 0;
  /** Fails at once, with what the process printed, if it has exited. */
  const alive = () => {
    assert.equal(exited, undefined, `the process exited during the chaos (${JSON.stringify(exited)}):\n${output.slice(-4000)}`);
    return true;
  };
  let logins = 0;
  const total = () => [...answers.values()].reduce((a, b) => a + b, 0);
  let attempts = 0;

  /**
   * The first two login steps, as a stranger's browser would take them, each attempt from
   * an address of its own: the load abandons every login after its password, so its holds
   * soon fill the user's attempt slots, and each refusal that follows counts against its
   * address like any failure (docs/SECURITY.md, enumeration resistance); from one address
   * a fast run could reach the throttle, and the logins after the faults would meet it.
   */
  async function loginAttempt(who: Who): Promise<boolean> {
    const agent = new Agent(baseUrl);
    attempts += 1;
    const from = { 'x-forwarded-for': `198.51.100.${attempts % 250}` };
    const identified = await observe(agent.post('/api/login/identify', { username: who.username, companyName: who.companyName }, from));
    if (identified?.status !== 200) return false;
    const password = await observe(agent.post('/api/login/password', { password: who.password }, from));
    if (password?.status !== 200) return false;
    logins += 1;
    return true;
  }

  test('the process survives terminated backends, a cut proxy and a restart, answering 503 at worst', { timeout: 120_000 }, async (t) => {
    const memberAgent = new Agent(baseUrl);
    await logIn(wallClock, memberAgent, member);
    assert.equal((await memberAgent.get('/api/me')).status, 200);

    // The load: each load user logs in over and over (one at a time, as a person would),
    // and the signed-in member keeps calling the API, until the faults are over.
    let loading = true;
    const load = [
      ...loadUsers.map(async (who) => {
        while (loading) await loginAttempt(who);
      }),
      (async () => {
        while (loading) {
          await observe(memberAgent.get('/api/me'));
          await observe(memberAgent.get('/api/me/sessions'));
        }
      })(),
    ];
    const progress = async (what: string, more = 3) => {
      const start = total();
      await until(() => alive() && total() >= start + more, what, 20_000);
    };

    try {
      await progress('the load to get going');

      // (a) Every backend of the database terminated, every 25 ms.
      for (let i = 0; i < TERMINATIONS; i += 1) {
        alive();
        await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await progress('answers after the terminations');

      // (b) The network cut, while requests are in flight, again and again.
      for (let i = 0; i < CUTS; i += 1) {
        proxy.cut();
        await progress(`answers after cut ${i + 1}`, 2);
      }

      // (c) A restart: connections dropped, nothing listening, then "starting up", then up.
      const before503 = count('503');
      await proxy.stop();
      await until(() => alive() && count('503') >= before503 + 3, '503s while the database is down');
      proxy.refuseWith({ sqlstate: '57P03', message: 'the database system is starting up' });
      await proxy.start();
      await until(() => alive() && count('503') >= before503 + 6, '503s while the database starts up');
      proxy.refuseWith(null);

      // Recovered: the load's logins get through again, without a restart of Gatehouse.
      const loginsBefore = logins;
      await until(() => alive() && logins >= loginsBefore + LOAD_USERS, 'logins to work again', 20_000);
    } finally {
      loading = false;
      await Promise.all(load);
    }

    alive();
    const summary = JSON.stringify(Object.fromEntries(answers));
    const bad = [...answers.keys()].filter((status) => !/^(2\d\d|4\d\d|503)$/.test(status));
    assert.deepEqual(bad, [], `every answer is 2xx, 4xx or 503: ${summary}\n${output.slice(-4000)}`);
    assert.ok(count('503') > 0, `the faults were felt: ${summary}`);
    assert.ok(count('200') > 0, `and work got done between them: ${summary}`);
    t.diagnostic(`answers during the chaos: ${summary}`);

    // After the faults: a whole login, 2FA enrollment included, and the API behind it.
    const browser = new Agent(baseUrl);
    await logIn(wallClock, browser, fresh);
    assert.equal((await browser.get('/api/me')).status, 200);
    assert.equal((await memberAgent.get('/api/me')).status, 200, 'the session from before the chaos still works');
    assert.equal((await fetch(`${baseUrl}/readyz`)).status, 200);

    assert.ok(!output.includes(DATABASE_PASSWORD), 'the database password never reached the output');
    assert.doesNotMatch(output, /uncaught|unhandled 'error' event|unhandledRejection/i);
    const stopped = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await stopped, 0, `a clean shutdown after the chaos:\n${output.slice(-2000)}`);
  });
});
