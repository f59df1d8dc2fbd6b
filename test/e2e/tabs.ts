// Logins in real browser tabs, over HTTP set-up: what the tests of several tabs, and of
// pages outliving their session, share.
import type { Page } from 'playwright-core';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, invitedMember, operatorAgent } from '../helpers/company-admin.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import type { Stage } from './stage.ts';
import { ACME_REQUEST, STRONG_PASSWORD } from '../helpers/journey.ts';
import type { TestServer } from '../helpers/server.ts';
import { currentStep, freshCode } from './support.ts';

export const BETA_REQUEST = { ...ACME_REQUEST, companyName: 'Beta Networks', contactName: 'Erin Beta', email: 'erin@beta.test' };

export interface Enrolled {
  username: string;
  companyName: string;
  secret: string;
  step: number;
}

/** A company approved, its Root Master signed up and enrolled over HTTP (the browser under test not signed in). */
export async function enrolledRootMaster(server: TestServer, operator: Agent, request: typeof ACME_REQUEST, password = STRONG_PASSWORD): Promise<Enrolled> {
  const company = await companyWithRootMaster(server, operator, request.companyName, request.email, password);
  return { username: company.root.username, companyName: company.companyName, secret: company.root.totpSecret, step: currentStep() };
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

/** Acme's and Beta's Root Masters enrolled over HTTP, and a Chromium tab signed in as neither (closed first). */
export async function acmeBetaAndATab({ server, closeFirst }: Pick<Stage, 'server' | 'closeFirst'>, betaPassword = STRONG_PASSWORD) {
  const operator = await operatorAgent(server);
  const acme = await enrolledRootMaster(server, operator, ACME_REQUEST);
  const beta = await enrolledRootMaster(server, operator, BETA_REQUEST, betaPassword);
  const { page, tab } = await launchChromiumWithTab();
  closeFirst('closing the browser', () => page.close());
  return { acme, beta, tab, base: server.baseUrl };
}

/** Acme with a member, zoe.private, whose username shows only in the Company page's user list. */
export async function acmeWithMember(server: TestServer) {
  const company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Managed IT', 'dana@acme.test');
  await invitedMember(server, company, company.root.agent, { username: 'zoe.private', role: 'user' });
  return { company, dana: { username: company.root.username, companyName: company.companyName, secret: company.root.totpSecret, step: currentStep() } };
}
