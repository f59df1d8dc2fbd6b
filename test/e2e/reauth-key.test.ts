// The confirm dialog of My Settings with a key, in Chromium with the DevTools protocol's
// virtual authenticator: a platform passkey with user verification alone makes new
// recovery codes ("Use a passkey or security key", no password, no code); a roaming
// security key without user verification needs the password beside it, and resets 2FA.
// Screenshots go to test-output/screenshots/reauth-key-chromium/.
//
//   npm run build:web && GATEHOUSE_E2E_BROWSERS=chromium npx node --test test/e2e/reauth-key.test.ts
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CDPSession } from 'playwright-core';
import { companyWithRootMaster, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST, STRONG_PASSWORD } from '../helpers/journey.ts';
import { launchChromiumTab } from './browsers/chromium.ts';
import type { BrowserPage } from './browsers/index.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/reauth-key-chromium/', import.meta.url));

type Authenticator = { protocol: 'ctap2'; transport: 'internal' | 'usb'; hasResidentKey: boolean; hasUserVerification: boolean; isUserVerified?: boolean };

async function attach(cdp: CDPSession, options: Authenticator): Promise<string> {
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { ...options, automaticPresenceSimulation: true } });
  return authenticatorId;
}

async function addKeyInSettings(page: BrowserPage, base: string, name: string) {
  await page.goto(`${base}/settings`);
  await page.waitForText('Passkeys and Security Keys');
  await page.click('Add a Passkey or Security Key');
  await page.waitForText('Add a passkey or security key');
  await page.fill('Name', name);
  await page.fill('Current password', STRONG_PASSWORD);
  await page.click('Add Key');
  await page.waitForText(`${name} is added`);
}

describe('confirming it is you with a key in My Settings (chromium)', () => {
  test('a passkey with UV alone makes new recovery codes; a security key without UV needs the password and resets 2FA', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
      const { page, tab } = await launchChromiumTab();
      closeFirst('closing the browser', () => page.close());
      rmSync(SCREENSHOTS, { recursive: true, force: true });
      let count = 0;
      const shot = (step: string) => page.screenshot(`${SCREENSHOTS}${String(++count).padStart(2, '0')}-${step}.png`);
      const base = server.baseUrl;
      await tab.context().addCookies([...company.root.agent.cookies].map(([name, value]) => ({ name, value, url: base, secure: true, httpOnly: true, sameSite: 'Lax' as const })));
      const cdp = await tab.context().newCDPSession(tab);

      // 1. A platform passkey that verifies its user: the key alone is the proof.
      const platform = await attach(cdp, { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true });
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
      await attach(cdp, { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false });
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
