// Logins in real browser tabs, over HTTP set-up: what the tests of several tabs, and of
// pages outliving their session, share.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { Agent } from '../helpers/agent.ts';
import { ACME_REQUEST, approvedCompany, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import type { TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';
import { freshCode, totpStep } from './support.ts';

export const BETA_REQUEST = { ...ACME_REQUEST, companyName: 'Beta Networks', contactName: 'Erin Beta', email: 'erin@beta.test' };

export interface Enrolled {
  username: string;
  companyName: string;
  secret: string;
  step: number;
}

/** A company approved, its Root Master signed up and enrolled over HTTP (not signed in anywhere). */
export async function enrolledRootMaster(server: TestServer, operator: Agent, request: typeof ACME_REQUEST, password = STRONG_PASSWORD): Promise<Enrolled> {
  const company = await approvedCompany(server, operator, request);
  await signUp(server, company.link, password);
  const agent = server.agent();
  const who = { username: company.username, companyName: request.companyName };
  assert.equal((await agent.post('/api/login/identify', who)).status, 200);
  assert.equal((await agent.post('/api/login/password', { password })).body.step, 'enroll');
  const { secret } = (await agent.post('/api/login/enroll/start')).body as { secret: string };
  const now = Date.now();
  const done = await agent.post('/api/login/enroll/verify', { code: totpAt(secret, now) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  await agent.post('/api/logout');
  return { ...who, secret, step: totpStep(now) };
}

export async function identifyAndPassword(tab: Page, who: { username: string; companyName: string }) {
  await tab.getByLabel('Username', { exact: true }).fill(who.username);
  await tab.getByLabel('Company Name', { exact: true }).fill(who.companyName);
  await tab.getByRole('button', { name: 'Next', exact: true }).click();
  await tab.getByText('Enter Your Password').waitFor();
  await tab.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
  await tab.getByRole('button', { name: 'Log In', exact: true }).click();
}

/**
 * A full login in the tab, from a fresh login page or (`from: 'here'`) the one the tab is
 * on, ending where the app sends it (`lands`, by default the dashboard); returns the TOTP
 * step its code came from.
 */
export async function logInInTab(base: string, tab: Page, who: Enrolled, options: { from?: 'here'; lands?: string } = {}): Promise<number> {
  if (options.from !== 'here') await tab.goto(`${base}/login`);
  await identifyAndPassword(tab, who);
  await tab.getByText('Two-Factor Authentication', { exact: true }).waitFor();
  const { code, step } = await freshCode(who.secret, who.step + 1);
  who.step = step;
  await tab.getByLabel('Authentication Code').fill(code);
  await tab.getByRole('button', { name: 'Verify', exact: true }).click();
  await tab.waitForURL(options.lands ?? `${base}/`);
  await tab.getByText(who.companyName).first().waitFor();
  return step;
}
