// Password spraying from one address: many accounts, a guess or two each. No account
// reaches its own lockout, so the address itself is slowed down, and only it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IP_MAX_FAILURES, IP_WINDOW_MS } from '../../src/login/ip-throttle.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, approvedCompany, signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) {
  describe(`per-address throttling of failed logins (${engine})`, () => {
    let server: TestServer;
    let username: string;
    before(async () => {
      server = await startTestServer({ engine });
      const operator = await signedInOperator(server);
      const company = await approvedCompany(server, operator.agent);
      await signUp(server, company.link);
      username = company.username;
    });
    after(() => server.close());

    const attempt = async (user: string, password: string) => {
      const agent = server.agent();
      await agent.post('/api/login/identify', { username: user, companyName: ACME_REQUEST.companyName });
      return agent.post('/api/login/password', { password });
    };

    test('after the limit of failures from one address, its password step answers 429 for the window', async () => {
      for (let i = 0; i < IP_MAX_FAILURES; i++) {
        const sprayed = await attempt(`user${i}`, 'Spring-2026-Guess!');
        assert.equal(sprayed.status, 401, `attempt ${i}`);
      }
      const throttled = await attempt(username, STRONG_PASSWORD);
      assert.equal(throttled.status, 429, 'even the right password waits');
      assert.equal(throttled.body.error.code, 'request.rate_limited');

      // A throttled network is answered at once: its replayed requests run no hash, real or
      // dummy, in the queue every other network's logins wait in.
      const hasher = server.gatehouse.deps.hasher;
      let hashed = 0;
      const counting = <T extends (...args: never[]) => Promise<unknown>>(f: T) => ((...args: Parameters<T>) => ((hashed += 1), f(...args))) as T;
      const [verify, verifyDummy] = [hasher.verify, hasher.verifyDummy];
      Object.assign(hasher, { verify: counting(verify.bind(hasher)), verifyDummy: counting(verifyDummy.bind(hasher)) });
      try {
        const replayed = server.agent();
        await replayed.post('/api/login/identify', { username, companyName: ACME_REQUEST.companyName });
        const answers = await Promise.all(Array.from({ length: 20 }, () => replayed.post('/api/login/password', { password: 'x'.repeat(1024) })));
        assert.deepEqual([...new Set(answers.map((a) => a.status))], [429]);
        assert.equal(hashed, 0, 'no hash ran for a throttled network');
      } finally {
        Object.assign(hasher, { verify, verifyDummy });
      }

      // The account itself was never locked: once the failures of the last window are
      // under the limit (counted in two buckets of a window each: at most two), it logs in.
      server.clock.advance(2 * IP_WINDOW_MS);
      const later = await attempt(username, STRONG_PASSWORD);
      assert.equal(later.status, 200, JSON.stringify(later.body));
      assert.equal(later.body.step, 'enroll');
    });

    test('a burst of guesses sent at once is checked at most up to the limit, not all because all read the same count', async () => {
      server.clock.advance(2 * IP_WINDOW_MS); // no failure counted any more
      const burst = Array.from({ length: 3 * IP_MAX_FAILURES }, () => server.agent());
      for (const [i, agent] of burst.entries()) {
        assert.equal((await agent.post('/api/login/identify', { username: `burst${i}`, companyName: ACME_REQUEST.companyName })).status, 200);
      }
      const answers = await Promise.all(burst.map((agent) => agent.post('/api/login/password', { password: 'Spring-2026-Guess!' })));
      const statuses = answers.map((a) => a.status);
      // Each 401 is a guess checked (at a real account it would have said whether it was right).
      const counted = await server.gatehouse.storage.db.selectFrom("login_throttle").select(["ip", "failures", "window_start"]).execute();
      assert.ok(statuses.filter((status) => status === 401).length <= IP_MAX_FAILURES, JSON.stringify({ counted, at: server.clock() }));
      assert.deepEqual([...new Set(statuses)].sort(), [401, 429]);
      const [row] = await server.gatehouse.storage.db.selectFrom('login_throttle').select('failures').execute();
      assert.ok(Number(row?.failures) <= IP_MAX_FAILURES, `failures counted: ${row?.failures}`);
      server.clock.advance(2 * IP_WINDOW_MS);
    });
  });

  // An IPv6 host can use any address of its /64: a sprayer that takes a new one for every
  // guess is still one client. One proxy in front, so each request comes from the address it names.
  describe(`per-address throttling counts an IPv6 client's /64 (${engine})`, () => {
    let server: TestServer;
    let username: string;
    before(async () => {
      server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' } });
      const operator = await signedInOperator(server);
      const company = await approvedCompany(server, operator.agent);
      await signUp(server, company.link);
      username = company.username;
    });
    after(() => server.close());

    const attempt = async (user: string, password: string, address: string) => {
      const agent = server.agent();
      const from = { 'x-forwarded-for': address };
      await agent.post('/api/login/identify', { username: user, companyName: ACME_REQUEST.companyName }, from);
      return agent.post('/api/login/password', { password }, from);
    };

    test('a new address of the same /64 for every guess is throttled like one address; the next /64 is not', async () => {
      for (let i = 0; i < IP_MAX_FAILURES; i++) {
        // Spelled every way an address can be: full, compressed, upper case.
        const address = i % 3 === 0 ? `2001:db8:77:1:${i.toString(16)}::1` : i % 3 === 1 ? `2001:0DB8:0077:0001:0000:0000:${i.toString(16)}:0001` : `2001:db8:77:1::${((i * 7919) % 0x10000).toString(16)}`;
        assert.equal((await attempt(`user${i}`, 'Spring-2026-Guess!', address)).status, 401, `attempt ${i} from ${address}`);
      }
      const throttled = await attempt(username, STRONG_PASSWORD, '2001:db8:77:1:ffff:ffff:ffff:fffe');
      assert.equal(throttled.status, 429, 'another address of the /64 waits too');
      assert.equal(throttled.body.error.code, 'request.rate_limited');
      const neighbour = await attempt(username, STRONG_PASSWORD, '2001:db8:77:2::1');
      assert.equal(neighbour.status, 200, 'the next /64 is another client');
    });
  });
}
