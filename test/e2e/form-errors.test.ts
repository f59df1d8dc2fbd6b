// Form errors as a person meets them in a real browser (issue 12): a field shows one
// message at a time, and a message goes as soon as that field is edited. A too common
// password at Sign Up, a 5-digit code and a wrong code at the login's code step.
//
// Needs the web app built (npx node scripts/build-web.ts) and Debian's chromium. Chromium
// only unless GATEHOUSE_E2E_BROWSERS names others.
//
//   npx node --test test/e2e/form-errors.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { companyWithRootMaster, inviteMail, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { enginesFromEnv, launchBrowser, type BrowserPage } from './browsers/index.ts';
import { identifyAndPassword } from './login-page.ts';
import { JOURNEY_TIMEOUT_MS, wrongCode } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

// The server's words vary with the reason (zxcvbn's feedback); this part is always there.
const TOO_COMMON = 'too common';
const SIX_DIGITS = 'Enter the 6-digit code from your authenticator app.';
const CLOCK_HINT = "check that your phone's clock is set automatically";

/** How often `text` appears on the page: one field, one message. */
async function timesShown(page: BrowserPage, text: string): Promise<number> {
  return (await page.text()).split(text).length - 1;
}

for (const engine of enginesFromEnv(process.env.GATEHOUSE_E2E_BROWSERS?.trim() || 'chromium')) {
  describe(`form errors in a real browser (${engine})`, () => {
    test('one message per field, gone once the field is edited', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
      await onHttpsGatehouse(engine, async ({ server, closeFirst }) => {
        const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
        const invited = await company.root.agent.post('/api/company/users', { email: 'mia@acme.test', username: 'mia', role: 'user' });
        assert.equal(invited.status, 201, JSON.stringify(invited.body));
        const { link } = await inviteMail(server, company.companyName, 'mia@acme.test');
        const page = await launchBrowser(engine);
        closeFirst('closing the browser', () => page.close());

        // Sign Up with a password that meets every rule but is too common.
        await page.goto(link);
        await page.waitForText('Set Your Password');
        await page.fill('Password', 'Password1!');
        await page.fill('Confirm Password', 'Password1!');
        await page.click('Set');
        await page.waitForText(TOO_COMMON);
        assert.equal(await timesShown(page, TOO_COMMON), 1, 'the message shows once, under the field');
        // Editing the password removes it at once, before anything is sent again.
        await page.fill('Password', 'Password1!x');
        await page.waitForNoText(TOO_COMMON);

        // The login's code step.
        await page.goto(`${server.baseUrl}/login`);
        await identifyAndPassword(page, { username: company.root.username, companyName: company.companyName });
        await page.waitForText('Two-Factor Authentication');
        // A wrong code: the server's advice under the field, once, not also its short form.
        await page.fill('Authentication Code', wrongCode(company.root.totpSecret));
        await page.click('Verify');
        await page.waitForText(CLOCK_HINT);
        assert.equal(await timesShown(page, CLOCK_HINT), 1, 'a refused code shows one message');
        assert.ok(!(await page.text()).includes('Incorrect or expired code.'), 'not also the short form of it');
        // Typing a new code removes it; five digits then get their own message, and only that.
        await page.fill('Authentication Code', '12345');
        await page.waitForNoText(CLOCK_HINT);
        await page.click('Verify');
        await page.waitForText(SIX_DIGITS);
        assert.equal(await timesShown(page, SIX_DIGITS), 1, 'a 5-digit code shows one message');
        assert.ok(!(await page.text()).includes(CLOCK_HINT), 'and not the earlier refusal as well');
        await page.fill('Authentication Code', '1234');
        await page.waitForNoText(SIX_DIGITS);
      });
    });
  });
}
