// The common-password check costs hundreds of milliseconds for a password of digits that
// each read as a letter (the estimator tries every l33t reading over every substring), and
// a refused password uses nothing up: anyone holding a Sign Up or reset link can send such
// passwords again and again. The check runs on a thread of its own, so while it works the
// server answers everyone else. One user's checks wait at most four at a time (one link's
// holder cannot make everyone else wait), all users' at most 16; past either a new
// password is refused as busy (503, Retry-After), and nothing about the link changes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { operatorAgent } from '../helpers/company-admin.ts';
import { approvedCompany, tokenFromLink } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';
import type { Agent } from '../helpers/agent.ts';

// Meets the seed's rule and is refused as too common, after about 0.15 to 0.4 s of the
// estimator's work each (ones, and bars, each an "i" or an "l").
const COSTLY_AND_COMMON = `Aa!${'1'.repeat(61)}`;
const COSTLY_AND_COMMON_TOO = `Aa${'1|'.repeat(31)}`;
const STRONG = 'Velvet-Harbor-42!';

async function checksInProgress(server: TestServer, state: 'running' | 'waiting'): Promise<number> {
  const text = await (await fetch(server.gatehouse.metricsUrl() as string)).text();
  const line = new RegExp(`^gatehouse_password_checks\\{state="${state}"\\} (\\d+)$`, 'm').exec(text);
  return Number(line?.[1] ?? -1);
}

describe('the common-password check does not hold up the server', () => {
  let server: TestServer;
  let operator: Agent;
  let n = 0;
  before(async () => {
    server = await startTestServer({ env: { GATEHOUSE_METRICS_PORT: '0' } });
    operator = await operatorAgent(server);
  });
  after(() => server?.close());

  async function signupToken(): Promise<string> {
    n += 1;
    const company = await approvedCompany(server, operator, { companyName: `Slow Check ${n}`, contactName: 'Eve Slow', email: `eve${n}@slow.test`, phone: '+1 555 0100', note: '' });
    return tokenFromLink(company.link);
  }

  /** Sends each password at once on each link; the answers in the order sent. */
  function sendAtOnce(tokens: string[], passwords: string[], settled: unknown[] = []) {
    return Promise.all(
      tokens.flatMap((token) =>
        passwords.map((password) =>
          server.agent().post('/api/signup', { token, password, confirm: password }).finally(() => settled.push(token)),
        ),
      ),
    );
  }

  async function stillSetsAGoodPassword(token: string) {
    const answer = await server.agent().post('/api/signup', { token, password: STRONG, confirm: STRONG });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }

  function assertRefusedAsBusy(answers: Awaited<ReturnType<typeof sendAtOnce>>, least: number) {
    const busy = answers.filter((answer) => answer.status === 503);
    assert.ok(busy.length >= least, `${busy.length} refused as busy: ${answers.map((a) => a.status).join(' ')}`);
    for (const answer of busy) {
      assert.equal(answer.body.error.code, 'password.check_busy');
      assert.match(answer.headers.get('retry-after') ?? '', /^\d+$/);
    }
    for (const answer of answers.filter((a) => a.status !== 503)) {
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'password.too_common');
    }
    return answers.length - busy.length;
  }

  async function checksDone() {
    await until(async () => (await checksInProgress(server, 'running')) === 0, 'the checks to finish');
    assert.equal(await checksInProgress(server, 'waiting'), 0);
  }

  test('while new passwords wait for the check, other requests are answered', async () => {
    const tokens = await Promise.all([1, 2, 3, 4].map(() => signupToken()));
    const settled: unknown[] = [];
    const costly = sendAtOnce(tokens, [COSTLY_AND_COMMON, COSTLY_AND_COMMON_TOO], settled);
    // Several checks queued behind the one being scored: seconds of the estimator's work.
    await until(async () => (await checksInProgress(server, 'waiting')) >= 4, 'password checks waiting');
    for (let i = 0; i < 5; i += 1) {
      const page = await server.agent().get(`/api/signup/${tokens[0]}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.equal((await fetch(`${server.baseUrl}/readyz`)).status, 200);
    }
    assert.ok(settled.length < 8, `the server answered others only after ${settled.length} of 8 checks`);
    assertRefusedAsBusy(await costly, 0);
    // A refusal uses nothing up: each link still sets a good password.
    for (const token of tokens) await stillSetsAGoodPassword(token);
  });

  test("one link's holder gets four checks at a time; the others are refused as busy", async () => {
    const token = await signupToken();
    const answers = await sendAtOnce([token], Array.from({ length: 9 }, (_, i) => (i % 2 ? COSTLY_AND_COMMON : COSTLY_AND_COMMON_TOO)));
    assert.equal(assertRefusedAsBusy(answers, 5), 4, 'checked');
    await checksDone();
    await stillSetsAGoodPassword(token);
  });

  test('past 16 checks in all, a new password is refused as busy with Retry-After, and nothing changes', async () => {
    const tokens = await Promise.all(Array.from({ length: 7 }, () => signupToken()));
    const answers = await sendAtOnce(tokens, [COSTLY_AND_COMMON, COSTLY_AND_COMMON_TOO, COSTLY_AND_COMMON]);
    assert.equal(assertRefusedAsBusy(answers, 5), 16, 'checked');
    await checksDone();
    for (const token of tokens) await stillSetsAGoodPassword(token);
  });
});
