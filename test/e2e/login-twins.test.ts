// A login's answer sent twice at once, as a person meets it in Chromium: a copy of the
// recovery code (sent by the same page, as a browser's own retry or a second tab would)
// holds the account's last attempt slot, so the code the person submits with Verify is
// refused 409 login.attempt_in_progress ("try again"). The page does not show that as a
// failure: the form stays busy, sends the code again, finds that the twin signed this
// browser in, and goes on to the dashboard (web/src/api/loginAnswer.ts). The copy is held
// at the server before its transaction (test/helpers/held-transaction.ts), so the refusal
// always happens, whatever the timing.
//
// Needs the web app built (npx node scripts/build-web.ts) and Debian's chromium.
//
//   npx node --test test/e2e/login-twins.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Response } from 'playwright-core';
import { operatorAgent } from '../helpers/company-admin.ts';
import { holdNextTransaction } from '../helpers/held-transaction.ts';
import { ACME_REQUEST, approvedCompany, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import type { TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { identifyAndPassword, type LoginIdentity } from './login-page.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const WRONG_RECOVERY_CODE = 'aaaa-aaaa-aa';
const TRY_AGAIN = 'being checked from another request';

/** The first login over HTTP (2FA set up with the app): the ten recovery codes it shows once. */
async function enrolled(server: TestServer, who: LoginIdentity): Promise<string[]> {
  const agent = server.agent();
  assert.equal((await agent.post('/api/login/identify', who)).status, 200);
  assert.equal((await agent.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'enroll');
  const { secret } = (await agent.post('/api/login/enroll/start')).body as { secret: string };
  const done = await agent.post('/api/login/enroll/verify', { code: totpAt(secret, server.clock()) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return done.body.recoveryCodes as string[];
}

/** Four wrong codes in another login: the next code attempt takes the account's fifth, last, slot. */
async function oneSlotLeft(server: TestServer, who: LoginIdentity) {
  const agent = server.agent();
  await agent.post('/api/login/identify', who);
  assert.equal((await agent.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');
  for (let i = 0; i < 4; i++) assert.equal((await agent.post('/api/login/recovery', { code: WRONG_RECOVERY_CODE })).status, 401);
}

describe('a login answer sent twice at once, in a real browser (chromium)', () => {
  test('Verify meets its twin: the page waits it out and signs in, with no error shown', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await approvedCompany(server, await operatorAgent(server), ACME_REQUEST);
      await signUp(server, company.link);
      const who = { username: company.username, companyName: ACME_REQUEST.companyName };
      const [code] = await enrolled(server, who);
      assert.ok(code);
      await oneSlotLeft(server, who);

      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      await page.goto(`${server.baseUrl}/login`);
      await identifyAndPassword(page, who);
      await page.waitForText('Two-Factor Authentication');
      await page.click('Use a recovery code');
      await page.fill('Recovery Code', code);

      const hold = holdNextTransaction(server, 'at spendSlotOnCode ');
      try {
        // The twin: the same code from this page, outside the form; it takes the last slot
        // and is held there. Its answer (the session cookie) reaches this browser.
        await tab.evaluate((sent) => {
          (window as unknown as { twin: Promise<number> }).twin = fetch('/api/login/recovery', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ code: sent }),
          }).then((answer) => answer.status);
        }, code);
        await hold.atHold;
        hold.restore();

        const isRefusal = (answer: Response) => answer.url().endsWith('/api/login/recovery') && answer.status() === 409;
        const refused = tab.waitForResponse(isRefusal);
        await page.click('Verify');
        const refusal = await refused;
        assert.equal(((await refusal.json()) as { error: { code: string } }).error.code, 'login.attempt_in_progress');
        // The form is still busy with that code: it is being sent again.
        assert.equal(await tab.getByRole('button', { name: 'Verify' }).getAttribute('data-loading'), 'true');
        hold.release();
      } finally {
        hold.release();
        hold.restore();
      }

      await page.waitForPath('/');
      assert.ok(!(await page.text()).includes(TRY_AGAIN));
      assert.equal(await tab.evaluate(() => (window as unknown as { twin: Promise<number> }).twin), 200, 'the twin signed in');
      const me = (await tab.evaluate(() => fetch('/api/me').then((answer) => answer.json()))) as { user: { username: string }; session: { amr: string[] } };
      assert.equal(me.user.username, who.username);
      assert.deepEqual(me.session.amr, ['pwd', 'mfa'], 'signed in with the recovery code');
    });
  });
});
