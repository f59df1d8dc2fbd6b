// Chromium's virtual authenticators (DevTools protocol, WebAuthn domain) for the passkey
// browser tests, and adding a key in My Settings as a user does.
import type { CDPSession } from 'playwright-core';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import type { BrowserPage } from './browsers/index.ts';

export type Authenticator = { protocol: 'ctap2'; transport: 'internal' | 'usb'; hasResidentKey: boolean; hasUserVerification: boolean; isUserVerified?: boolean };

/** A laptop's platform passkey: discoverable, verifies its user. */
export const PLATFORM_PASSKEY: Authenticator = { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true };
/** A roaming security key without a resident credential or user verification. */
export const ROAMING_KEY: Authenticator = { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false };

/** Plugs a virtual authenticator into the tab (it answers at once); its id. */
export async function attach(cdp: CDPSession, options: Authenticator): Promise<string> {
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { ...options, automaticPresenceSimulation: true } });
  return authenticatorId;
}

/** My Settings, Add a Passkey or Security Key, named, confirmed with the password. */
export async function addKeyInSettings(page: BrowserPage, base: string, name: string) {
  await page.goto(`${base}/settings`);
  await page.waitForText('Passkeys and Security Keys');
  await page.click('Add a Passkey or Security Key');
  await page.waitForText('Add a passkey or security key');
  await page.fill('Name', name);
  await page.fill('Current password', STRONG_PASSWORD);
  await page.click('Add Key');
  await page.waitForText(`${name} is added`);
}
