// Chromium's virtual authenticators (DevTools protocol, WebAuthn domain) for the passkey
// browser tests, adding a key in My Settings as a user does, and the set-up they share.
import { rmSync } from 'node:fs';
import type { CDPSession, Page } from 'playwright-core';
import type { Agent } from '../helpers/agent.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { launchChromiumTab } from './browsers/chromium.ts';
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

/** Numbered screenshots into a fresh folder: shot('step') writes 01-step.png, 02-… */
export function numberedShots(page: BrowserPage, dir: string) {
  rmSync(dir, { recursive: true, force: true });
  let count = 0;
  return (step: string) => page.screenshot(`${dir}${String(++count).padStart(2, '0')}-${step}.png`);
}

/** A session the HTTP helpers signed in, handed to the browser tab as its cookies. */
export async function handSessionTo(tab: Page, agent: Agent, base: string) {
  await tab.context().addCookies([...agent.cookies].map(([name, value]) => ({ name, value, url: base, secure: true, httpOnly: true, sameSite: 'Lax' as const })));
}

/**
 * A Chromium tab for the key tests: closed first when the scene ends, with a DevTools
 * session for its virtual authenticators and, given a folder, numbered screenshots.
 */
export async function keyTab(closeFirst: (what: string, close: () => unknown) => void, screenshots?: string) {
  const { page, tab } = await launchChromiumTab();
  closeFirst('closing the browser', () => page.close());
  const cdp = await tab.context().newCDPSession(tab);
  const shot = screenshots ? numberedShots(page, screenshots) : async () => {};
  return { page, tab, cdp, shot };
}
