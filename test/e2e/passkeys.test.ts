// Passkeys and security keys in Chromium, with the DevTools protocol's virtual
// authenticator (WebAuthn.addVirtualAuthenticator): a platform passkey with user
// verification is added in My Settings and then logs in alone ("Log in with a passkey");
// a roaming security key without a resident credential is added and then answers the
// login's code step. The Root Master is set up over HTTP; the browser starts with that
// session. Screenshots go to test-output/screenshots/passkeys-chromium/.
//
//   npm run build:web && npx node --test test/e2e/passkeys.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { companyWithRootMaster, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST, approvedCompany, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { policyByClient } from '../helpers/key-policy.ts';
import type { BrowserPage } from './browsers/index.ts';
import { identifyAndPassword } from './login-page.ts';
import { currentStep, freshCode, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { addKeyInSettings, attach, PLATFORM_PASSKEY, ROAMING_KEY, handSessionTo, keyTab } from './virtual-authenticator.ts';

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/passkeys-chromium/', import.meta.url));

type SignedInAnswer = { session: { amr: string[] }; company: { name: string } };

async function signOutOfBrowser(tab: Page) {
  await tab.context().clearCookies();
}

async function logInWithPassword(page: BrowserPage, base: string, username: string, companyName: string) {
  await page.goto(`${base}/login`);
  await page.waitForText('Company Name');
  await page.fill('Username', username);
  await page.fill('Company Name', companyName);
  await page.click('Next');
  await page.waitForText('Enter Your Password');
  await page.fill('Password', STRONG_PASSWORD);
  await page.click('Log In');
}

describe('passkeys and security keys in a real browser (chromium)', () => {
  test('a platform passkey with UV logs in alone; a roaming key without a resident credential answers the code step', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
      const { page, tab, cdp, shot } = await keyTab(closeFirst, SCREENSHOTS);
      const base = server.baseUrl;

      // The Root Master's session from the HTTP helpers, handed to the browser.
      await handSessionTo(tab, company.root.agent, base);

      // 1. A platform passkey with user verification: added in My Settings, then "Log in with a passkey".
      const platform = await attach(cdp, PLATFORM_PASSKEY);
      await addKeyInSettings(page, base, 'This laptop');
      await page.waitForText(/This laptop\s+Security key|This laptop\s+Passkey/);
      await shot('settings-passkey-added');
      const stored = await cdp.send('WebAuthn.getCredentials', { authenticatorId: platform });
      assert.equal(stored.credentials.length, 1);
      assert.equal(stored.credentials[0]?.isResidentCredential, true, 'a discoverable credential');
      assert.equal(stored.credentials[0]?.rpId, 'localhost');

      await signOutOfBrowser(tab);
      await page.goto(`${base}/login`);
      await page.waitForText('Company Name');
      await shot('login-page');
      await page.click('Log in with a passkey');
      await page.waitForPath('/');
      await page.waitForText(company.root.username);
      const me = (await tab.evaluate(() => fetch('/api/me').then((r) => r.json()))) as SignedInAnswer;
      assert.deepEqual(me.session.amr, ['hwk', 'user', 'mfa']);
      assert.equal(me.company.name, company.companyName);
      await shot('home-after-passkey');
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: platform });

      // 2. A roaming security key with no resident credential: added, then used at the code step.
      const roaming = await attach(cdp, ROAMING_KEY);
      await addKeyInSettings(page, base, 'YubiKey');
      const onKey = await cdp.send('WebAuthn.getCredentials', { authenticatorId: roaming });
      assert.equal(onKey.credentials[0]?.isResidentCredential, false);
      await page.waitForText('YubiKey');
      await shot('settings-two-keys');

      await signOutOfBrowser(tab);
      await page.goto(`${base}/login`);
      await identifyAndPassword(page, { username: company.root.username, companyName: company.companyName });
      await page.waitForText('Use a passkey or security key');
      await shot('code-step-offers-key');
      await page.click('Use a passkey or security key');
      await page.waitForPath('/');
      const second = (await tab.evaluate(() => fetch('/api/me').then((r) => r.json()))) as SignedInAnswer;
      assert.deepEqual(second.session.amr, ['pwd', 'hwk', 'user']);

      // Both keys are listed with when they were added and last used.
      await page.goto(`${base}/settings`);
      await page.waitForText(/YubiKey[\s\S]*Security key/);
      const text = await page.text();
      assert.ok(!/YubiKey\s+Security key\s+\S.*\s+Never/.test(text), 'the key used to log in shows when');
      await shot('settings-after-use');
    });
  });
});

describe('a first login with a passkey, and a policy that requires one (chromium)', () => {
  test('Your Security Matters: Use a passkey or security key; then a Master is led to add a key after the code', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const operator = await operatorAgent(server);
      const fresh = await approvedCompany(server, operator, { ...ACME_REQUEST, companyName: 'Initech', email: 'peter@initech.test' });
      await signUp(server, fresh.link);
      const globex = await companyWithRootMaster(server, operator, 'Globex', 'hank@globex.test');
      const enrolledStep = currentStep();
      const { page, tab, cdp } = await keyTab(closeFirst);
      await attach(cdp, PLATFORM_PASSKEY);
      const base = server.baseUrl;

      // 1. First login: a passkey instead of the app; recovery codes as for the app; the dashboard.
      await logInWithPassword(page, base, fresh.username, 'Initech');
      await page.waitForText('Your Security Matters');
      await page.click('Use a passkey or security key');
      await page.waitForText('Your passkey or security key is set up');
      const codes = (await page.text()).match(/\b[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{2}\b/g) ?? [];
      assert.equal(new Set(codes).size, 10, 'ten recovery codes, shown once');
      await page.screenshot(`${SCREENSHOTS}enroll-with-passkey.png`);
      await page.check('I have saved my recovery codes');
      await page.click('Done');
      await page.waitForPath('/');
      const enrolled = (await tab.evaluate(() => fetch('/api/me').then((r) => r.json()))) as SignedInAnswer;
      assert.deepEqual(enrolled.session.amr, ['pwd', 'hwk', 'user']);

      // 2. Globex requires keys of its Masters (saved by its API client: the Root Master, with
      // no key, could not from a session made with the code): the Root Master proves the
      // code, then adds a key.
      await (await policyByClient(server, globex.companyId))({ phishingResistant: 'masters' });
      await signOutOfBrowser(tab);
      await logInWithPassword(page, base, globex.root.username, 'Globex');
      await page.waitForText('Two-Factor Authentication');
      const { code } = await freshCode(globex.root.totpSecret, enrolledStep + 1);
      await page.fill('Authentication Code', code);
      await page.click('Verify');
      await page.waitForText('Your company requires a passkey or security key');
      await page.screenshot(`${SCREENSHOTS}policy-add-key.png`);
      await page.click('Add a passkey or security key');
      await page.waitForPath('/');
      const led = (await tab.evaluate(() => fetch('/api/me').then((r) => r.json()))) as SignedInAnswer;
      assert.deepEqual(led.session.amr, ['pwd', 'hwk', 'user']);
      assert.equal(led.company.name, 'Globex');
    });
  });
});
