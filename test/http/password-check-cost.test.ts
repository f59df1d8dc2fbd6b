// The common-password check (zxcvbn-ts) runs on the event loop every tenant shares, and
// runs again for every refused new password on one live link (a refusal does not use a
// Sign Up or reset link up, and anyone can mail themselves a reset link). Its dictionary
// matcher runs once per l33t reading of the password, up to 100 of them by default: 64
// digits, each of which reads as a letter, made it read the password 236 times, holding
// the event loop for about 1.5 s per request. The estimator now tries 5 readings
// (L33T_READINGS, src/credentials/password-policy.ts). Work is counted, not timed: the
// characters the matcher scans per request. Common l33t passwords are still refused.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { operatorAgent } from '../helpers/company-admin.ts';
import { approvedCompany, tokenFromLink } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

// The estimator's dictionary matcher, counted where the server loads it (one module instance).
const load = createRequire(new URL('../../package.json', import.meta.url));
const matcherPath = load.resolve('@zxcvbn-ts/core').replace(/index\.cjs$/, 'matcher/dictionary/matching.cjs');
const MatchDictionary = load(matcherPath) as { prototype: { match(options: { password: string }): unknown } };
let scanned = 0;
const original = MatchDictionary.prototype.match;
MatchDictionary.prototype.match = function counted(this: unknown, options: { password: string }) {
  scanned += options.password.length;
  return original.call(this, options);
};

/** Each meets the default rule, is refused as too common, and nearly every character of it reads as a letter. */
const HOSTILE = ['Aa1!' + '1234567890'.repeat(6), 'Aa1!' + '9876543210'.repeat(6)];
/** How many times over the matcher may read a password: 236 for the first above, at the default 100 readings. */
const READS_AT_MOST = 20;

describe('a refused new password costs the estimator a bounded amount of work', () => {
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startTestServer();
    const company = await approvedCompany(server, await operatorAgent(server), { companyName: 'Costly Estimates', contactName: 'Eve Cost', email: 'eve@estimate.test', phone: '+1 555 0100', note: '' });
    token = tokenFromLink(company.link);
  });
  after(() => server?.close());

  async function workOf(password: string) {
    scanned = 0;
    const answer = await server.agent().post('/api/signup', { token, password, confirm: password });
    return { answer, scanned };
  }

  for (const password of HOSTILE) {
    test(`${password.slice(0, 16)}… (${password.length} characters) is read at most ${READS_AT_MOST} times over`, async () => {
      const { answer, scanned: work } = await workOf(password);
      assert.ok(work > 0, 'the estimator ran');
      assert.ok(work <= READS_AT_MOST * password.length, `${work} characters scanned for a password of ${password.length}`);
      // Refused, so the link stays live for the next try (and the next request).
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
    });
  }

  test('common passwords written in l33t are still refused', async () => {
    for (const password of ['P@ssw0rd1!', 'P@$$w0rd123', 'Ch@ng3m3!!', 'S3cur1ty!!', 'F00tb@ll#1', 'L3tm31n!!1']) {
      const { answer } = await workOf(password);
      assert.equal(answer.status, 400, `${password}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'password.too_common', password);
    }
  });
});
