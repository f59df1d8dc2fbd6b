// A password's bound (1,024 characters) is on its NFKC form, and that form was computed
// before the bound was checked: a 63 KiB body of "ﷺ" (one character typed, 18 once
// normalized) was normalized whole, into about 378,000 code points spread into an array,
// before the 400, at the anonymous password step (a 400 counts against no address) and
// twice at Sign Up. A password typed longer than four times the cap is now refused as
// typed (passwordTooLong, src/contract/password-rules.ts), as names are (typedLimit).
//
// Work is counted, not timed: the characters String.prototype.normalize reads and writes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_PASSWORD_LENGTH } from '../../src/contract/password-rules.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

async function normalizedWhile<T>(send: () => Promise<T>) {
  const original = String.prototype.normalize;
  let read = 0;
  let written = 0;
  String.prototype.normalize = function (this: string, form?: string) {
    read += this.length;
    const result = original.call(this, form);
    written += result.length;
    return result;
  };
  try {
    return { answer: await send(), read, written };
  } finally {
    String.prototype.normalize = original;
  }
}

describe('an over-long password is refused before it is normalized', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  const hostile = '\uFDFA'.repeat(21_000); // about 63 KiB of UTF-8, under the body limit

  test('at the password step (anyone), 21,000 "ﷺ" are a 400 without reading them whole', async () => {
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: 'nobody', companyName: 'Nowhere Inc' })).status, 200);
    const { answer, read, written } = await normalizedWhile(() => browser.post('/api/login/password', { password: hostile }));
    assert.equal(answer.status, 400, JSON.stringify(answer.body).slice(0, 300));
    // As for names: more than four UTF-16 units per allowed character is refused as typed.
    assert.ok(read <= 4 * MAX_PASSWORD_LENGTH, `${read} characters normalized (${written} written) for one refused password`);
  });

  test('at Sign Up (a link token is not even needed to get this far), the same', async () => {
    const { answer, read, written } = await normalizedWhile(() =>
      server.agent().post('/api/signup', { token: 'A'.repeat(43), password: hostile.slice(0, 10_000), confirm: hostile.slice(0, 10_000) }),
    );
    assert.equal(answer.status, 400, JSON.stringify(answer.body).slice(0, 300));
    assert.ok(read <= 2 * 4 * MAX_PASSWORD_LENGTH, `${read} characters normalized (${written} written) for two refused fields`);
  });
});
