// A code as a keyboard types it: full-width digits and letters (an East Asian input
// method), another script's digits (an Arabic keyboard), a typographic dash. Passwords were
// read as NFKC for this reason already (src/contract/password-rules.ts), but six digits
// typed full-width were refused with "Enter the 6-digit code", and a recovery code exactly
// as shown with "A recovery code looks like abcd-efgh-23.". Every code now goes through
// typedCode (src/contract/fields.ts), the web app's code field too. Found by an audit of
// second factors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

/** What a full-width input method types for an ASCII letter, digit or dash. */
const fullWidth = (text: string) => [...text].map((ch) => (ch === '-' ? '\uff0d' : String.fromCodePoint(ch.codePointAt(0)! + 0xfee0))).join('');

describe('second-factor codes typed in full-width characters (sqlite)', () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Wide Co', emailDomain: 'wide.test' });
  });
  after(() => server.close());

  async function atCodeStep(user: { username: string; companyName: string; password: string }) {
    const agent = server.agent();
    await agent.post('/api/login/identify', user);
    const answer = await agent.post('/api/login/password', { password: user.password });
    assert.equal(answer.body.step, 'totp', JSON.stringify(answer.body));
    return agent;
  }

  test("the app's current code typed in full-width digits logs in, as a full-width password does", async () => {
    const user = await tenants.member();
    server.clock.advance(30_000);
    const code = totpAt(user.totpSecret, server.clock());
    const agent = await atCodeStep(user);
    const answer = await agent.post('/api/login/totp', { code: fullWidth(code) });
    assert.equal(answer.status, 200, `six digits typed (${fullWidth(code)}) answered ${JSON.stringify(answer.body)}`);
  });

  test("the app's code in Arabic-Indic or Devanagari digits, at a step-up as at the login", async () => {
    const arabic = (digits: string) => [...digits].map((d) => String.fromCodePoint(0x0660 + Number(d))).join('');
    const devanagari = (digits: string) => [...digits].map((d) => String.fromCodePoint(0x0966 + Number(d))).join('');
    const user = await tenants.member();
    server.clock.advance(30_000);
    const agent = await atCodeStep(user);
    assert.equal((await agent.post('/api/login/totp', { code: arabic(totpAt(user.totpSecret, server.clock())) })).status, 200);
    server.clock.advance(30_000);
    const proved = await agent.post('/api/me/reauth', { password: user.password, code: devanagari(totpAt(user.totpSecret, server.clock())) });
    assert.equal(proved.status, 200, JSON.stringify(proved.body));
  });

  test('a recovery code typed in full-width characters, or with typographic dashes, logs in', async () => {
    const user = await tenants.member();
    server.clock.advance(30_000);
    const made = await user.agent.post('/api/me/recovery-codes', { password: user.password, code: totpAt(user.totpSecret, server.clock()) });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const code = (made.body.recoveryCodes as string[])[0]!;
    const agent = await atCodeStep(user);
    const answer = await agent.post('/api/login/recovery', { code: fullWidth(code) });
    assert.equal(answer.status, 200, `the code as shown, typed full-width (${fullWidth(code)}), answered ${JSON.stringify(answer.body)}`);
    const second = (made.body.recoveryCodes as string[])[1]!.replaceAll('-', '\u2013');
    const again = await atCodeStep(user);
    assert.equal((await again.post('/api/login/recovery', { code: second })).status, 200, second);
  });
});
