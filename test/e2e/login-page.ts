// The login page's steps as a user takes them, in the seed's words: identify (Username,
// Company Name, Next), the password (Log In), then the code (Authentication Code, Verify).
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import type { BrowserPage } from './browsers/index.ts';
import { freshCode } from './support.ts';

export interface LoginIdentity {
  username: string;
  companyName: string;
}

/** Identify, then the password and Log In. What follows (the code step, a key) is the caller's to wait for. */
export async function identifyAndPassword(page: BrowserPage, who: LoginIdentity, password = STRONG_PASSWORD) {
  await page.waitForText('Company Name');
  await page.fill('Username', who.username);
  await page.fill('Company Name', who.companyName);
  await page.click('Next');
  await page.waitForText('Enter Your Password');
  await page.fill('Password', password);
  await page.click('Log In');
}

/** The code step with a code of a TOTP step after `usedStep` (a code is taken once), then Verify; returns the step used. */
export async function enterFreshCode(page: BrowserPage, secret: string, usedStep: number): Promise<number> {
  await page.waitForText('Two-Factor Authentication');
  const { code, step } = await freshCode(secret, usedStep + 1);
  await page.fill('Authentication Code', code);
  await page.click('Verify');
  return step;
}
