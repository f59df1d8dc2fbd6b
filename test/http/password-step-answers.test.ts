// The password step answers the same whether the name exists, in the two ways a busy or
// hostile client could still tell them apart: one identify cookie replayed by several
// browsers at once (a real user's flow is stored before the hash, an unknown name's never
// is), and a hash queue so long that hashes wait past their deadline (a real user's hash
// had one, the dummy hash for an unknown name did not).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HASH_WAIT_MS } from '../../src/login/attempt-holds.ts';
import { IP_MAX_FAILURES } from '../../src/login/ip-throttle.ts';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const WRONG = 'Surely-Not-It-77!';
const shape = (answer: { status: number; body: { error?: { code?: string } } }) => `${answer.status} ${answer.body?.error?.code}`;

for (const engine of await enginesUnderTest()) describe(`the password step tells no real user from an unknown name (${engine})`, () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  before(async () => {
    // One hash at a time, so a queue is easy to make.
    server = await startTestServer({ engine, env: { GATEHOUSE_ARGON2_MAX_CONCURRENCY: '1' } });
    operator = await signedInOperator(server);
  });
  after(() => server.close());

  async function identified(username: string): Promise<Agent> {
    const agent = server.agent();
    assert.equal((await agent.post('/api/login/identify', { username, companyName: operator.companyName })).status, 200);
    return agent;
  }

  /** One identify, its cookie sent by `twins` browsers at once with a wrong password: the answers, sorted. */
  async function replayed(username: string, twins = 4) {
    const cookie = (await identified(username)).cookies.get('gh_flow') as string;
    const browsers = Array.from({ length: twins }, () => {
      const browser = server.agent();
      browser.cookies.set('gh_flow', cookie);
      return browser;
    });
    const answers = await Promise.all(browsers.map((browser) => browser.post('/api/login/password', { password: WRONG })));
    return answers.map(shape).sort();
  }

  test('one identify cookie replayed by four browsers at once: the same answers for a real user and an unknown name', async () => {
    const known = await replayed(operator.username);
    const unknown = await replayed('no-such-person');
    assert.deepEqual(known, unknown);
    assert.deepEqual(unknown, Array(4).fill('401 login.invalid_credentials'));
    server.clock.advance(31 * 60_000); // past any lock the replays' failures made, and past the two windows the address counts them in (ip-throttle.ts)
  });

  test('hashes that waited past their deadline in a long queue: the same answer for a real user and an unknown name', async () => {
    const { hasher } = server.gatehouse.deps;
    const verify = hasher.verify.bind(hasher);
    // Each hash asked for is held at the queue's door until the flood and both probes have
    // asked, then let in in the order asked: the queue is then the flood's hashes with the
    // probes last, however fast the hashes or slow the database (waiting for the flood to
    // still be there when the probes arrive failed under load on PostgreSQL).
    const atTheDoor: Array<() => void> = [];
    hasher.verify = (...args: Parameters<typeof verify>) =>
      new Promise<boolean>((resolve, reject) => atTheDoor.push(() => verify(...args).then(resolve, reject)));
    try {
      const waitFor = async (what: () => boolean, label: string) => {
        for (let i = 0; i < 5000 && !what(); i++) await sleep(2);
        assert.ok(what(), label);
      };
      // A flood of password steps for made-up names, each queueing a (dummy) hash: well
      // under what the address may have checked at once with the two probes (a network
      // past its limit is answered 429 without a hash, ip-throttle.test.ts), so that the
      // flood's failures being stored while a probe reads the count never refuse a probe.
      const flood = await Promise.all(Array.from({ length: IP_MAX_FAILURES - 10 }, (_, i) => identified(`flood${i}`)));
      const known = await identified(operator.username);
      const unknown = await identified('no-such-person');
      const flooding = flood.map((browser) => browser.post('/api/login/password', { password: 'Flood-Guess-1234!' }));
      await waitFor(() => atTheDoor.length >= flood.length, 'the flood asks for its hashes');
      const probes = [known, unknown].map((browser) => browser.post('/api/login/password', { password: WRONG }));
      await waitFor(() => atTheDoor.length >= flood.length + 2, 'the probes ask for theirs');
      hasher.verify = verify;
      for (const enter of atTheDoor) enter();
      // One hash runs (one at a time, set above); the rest wait, the probes at the end.
      assert.deepEqual(hasher.load(), { running: 1, waiting: flood.length + 1 });
      // Time passes as it would under a real flood; then their turn comes too late.
      server.clock.advance(HASH_WAIT_MS + 1000);
      const [knownAnswer, unknownAnswer] = await Promise.all(probes);
      await Promise.all(flooding);
      assert.equal(shape(knownAnswer!), shape(unknownAnswer!));
      assert.equal(shape(unknownAnswer!), '503 service.unavailable');
    } finally {
      hasher.verify = verify;
    }
  });
});
