// A phone lost: My Settings' own 2FA reset taken with the password and a recovery code
// (ReauthDialog's "Lost your phone? Use a recovery code", TwoFactorSection). The dialog
// swaps the app's code field for the recovery code's, a wrong code is named under its
// field (and the proof starts afresh), the right one resets 2FA and logs out to the login page with the notice, and the
// next login begins the enrollment again (Your Security Matters). Chromium only; the HTTP
// rules are test/http/own-reset-with-recovery-code.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { companyWithRootMaster, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST, STRONG_PASSWORD } from '../helpers/journey.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { currentStep, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { identifyAndPassword, logInInTab } from './tabs.ts';

describe('own 2FA reset with a recovery code (chromium)', () => {
  test('the dialog takes the password and a recovery code; the next login sets up 2FA again', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
      const [recoveryCode] = company.recoveryCodes ?? [];
      assert.ok(recoveryCode, 'the enrollment answered recovery codes');
      const dana = { username: company.root.username, companyName: company.companyName, secret: company.root.totpSecret, step: currentStep() };
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;
      await logInInTab(base, tab, dana);

      await tab.goto(`${base}/settings`);
      await tab.getByRole('button', { name: 'Reset Two-Factor Authentication' }).click();
      const dialog = tab.getByRole('dialog', { name: 'Reset two-factor authentication' });
      await dialog.getByRole('button', { name: 'Lost your phone? Use a recovery code' }).click();
      await dialog.getByLabel('Recovery Code').waitFor();
      assert.equal(await dialog.getByLabel('Authentication Code').count(), 0, "the app's code field gives way to the recovery code's");

      await dialog.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await dialog.getByLabel('Recovery Code').fill('aaaa-aaaa-aa');
      await dialog.getByRole('button', { name: 'Reset 2FA' }).click();
      await dialog.getByText('Incorrect or already used recovery code.').waitFor();
      assert.match(tab.url(), /\/settings$/, 'a wrong code resets nothing');

      // A refused proof starts afresh: the password is typed again (ReauthDialog).
      await dialog.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await dialog.getByLabel('Recovery Code').fill(recoveryCode);
      await dialog.getByRole('button', { name: 'Reset 2FA' }).click();
      await tab.waitForURL(/\/login/);
      await tab.getByText('Your two-factor authentication is reset').waitFor();

      await identifyAndPassword(tab, dana);
      await tab.getByText('Your Security Matters').waitFor();
      const usable = await server.gatehouse.deps.db.selectFrom('recovery_codes').select('id').where('company_id', '=', company.companyId).where('used_at', 'is', null).execute();
      assert.equal(usable.length, 0, 'the reset ended every recovery code (new ones come with the new enrollment)');
    });
  });
});
