// The confirm dialog of My Settings with a key, in Chromium with the DevTools protocol's
// virtual authenticator: a platform passkey with user verification alone makes new
// recovery codes ("Use a passkey or security key", no password, no code); a roaming
// security key without user verification needs the password beside it, and resets 2FA.
// Screenshots go to test-output/screenshots/reauth-key-chromium/.
//
//   npm run build:web && GATEHOUSE_E2E_BROWSERS=chromium npx node --test test/e2e/reauth-key.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { companyWithRootMaster, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST, STRONG_PASSWORD } from '../helpers/journey.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { addKeyInSettings, attach, PLATFORM_PASSKEY, ROAMING_KEY, handSessionTo, keyTab } from './virtual-authenticator.ts';

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/reauth-key-chromium/', import.meta.url));

describe('confirming it is you with a key in My Settings (chromium)', () => {
  test('a passkey with UV alone makes new recovery codes; a security key without UV needs the password and resets 2FA', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
      const { page, tab, cdp, shot } = await keyTab(closeFirst, SCREENSHOTS);
      const base = server.baseUrl;
      await handSessionTo(tab, company.root.agent, base);

      // 1. A platform passkey that verifies its user: the key alone is the proof.
      const platform = await attach(cdp, PLATFORM_PASSKEY);
      await addKeyInSettings(page, base, 'This laptop');
      await page.click('Regenerate Codes');
      await page.waitForText('Use a passkey or security key');
      await shot('dialog-offers-key');
      await page.click('Use a passkey or security key');
      await page.waitForText('Your new recovery codes');
      await shot('new-codes-with-passkey');
      const status = (await tab.evaluate(() => fetch('/api/me/recovery-codes').then((r) => r.json()))) as { remaining: number };
      assert.equal(status.remaining, 10);
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: platform });

      // 2. A roaming key without user verification: alone it is refused, with the password it resets 2FA.
      await attach(cdp, ROAMING_KEY);
      await addKeyInSettings(page, base, 'YubiKey');
      await page.click('Reset Two-Factor Authentication');
      await page.waitForText('Use a passkey or security key');
      await page.click('Use a passkey or security key');
      await page.waitForText('Enter your password too: this key did not check a PIN or fingerprint.');
      await shot('key-without-pin-needs-password');
      await page.fill('Password', STRONG_PASSWORD);
      await page.click('Use a passkey or security key');
      await page.waitForPath('/login');
      await page.waitForText('Your two-factor authentication is reset');
      await shot('reset-with-password-and-key');
      const keys = await server.gatehouse.storage.db.selectFrom('webauthn_credentials').select('id').where('company_id', '=', company.companyId).execute();
      assert.equal(keys.length, 0, 'the keys went with the reset');
    });
  });
});
