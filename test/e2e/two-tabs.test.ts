// Two tabs of one browser share Gatehouse's cookies: a login in one tab replaces the
// session or the login the other tab shows. The other tab must notice (the page names what
// it shows, test/http/one-browser-many-tabs.test.ts), never show one account's header over
// another's data, nor send one account's password to another's login. The app's logic, not
// an engine's: Chromium only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST, STRONG_PASSWORD } from '../helpers/journey.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { freshCode, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { acmeBetaAndATab, BETA_REQUEST, enrolledRootMaster, identifyAndPassword, logInInTab } from './tabs.ts';

describe('two tabs of one browser (chromium)', () => {
  test("tab A, showing Acme, reloads as Beta's Root Master once tab B logged in as her", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async (stage) => {
      const { acme, beta, tab: tabA, base } = await acmeBetaAndATab(stage);

      await logInInTab(base, tabA, acme);
      const tabB = await tabA.context().newPage();
      await logInInTab(base, tabB, beta);

      await tabA.bringToFront();
      await tabA.getByRole('link', { name: 'Company', exact: true }).first().click();
      // Refused as a page of another user (session.changed), tab A starts again as the
      // browser's user: Beta's header, with Beta's people.
      await tabA.locator('header').getByText(BETA_REQUEST.companyName).first().waitFor();
      const header = await tabA.locator('header').innerText();
      assert.ok(!header.includes(ACME_REQUEST.companyName), `tab A's header: ${header}`);
    });
  });

  test("tab A's password for Dana is not sent to the login tab B started for Erin: tab A shows Erin's", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async (stage) => {
      const { server } = stage;
      const { acme, beta, tab: tabA, base } = await acmeBetaAndATab(stage, 'Copper-Lantern-77?');

      await tabA.goto(`${base}/login`);
      await tabA.getByLabel('Username', { exact: true }).fill(acme.username);
      await tabA.getByLabel('Company Name', { exact: true }).fill(acme.companyName);
      await tabA.getByRole('button', { name: 'Next', exact: true }).click();
      await tabA.getByText('Enter Your Password').waitFor();

      // A new tab resumes the browser's login (Dana's password step); "Not you?" and Erin there.
      const tabB = await tabA.context().newPage();
      await tabB.goto(`${base}/login`);
      await tabB.getByText('Enter Your Password').waitFor();
      await tabB.getByRole('button', { name: 'Not you? Change user' }).click();
      await tabB.getByLabel('Username', { exact: true }).fill(beta.username);
      await tabB.getByLabel('Company Name', { exact: true }).fill(beta.companyName);
      await tabB.getByRole('button', { name: 'Next', exact: true }).click();
      await tabB.getByText('Enter Your Password').waitFor();

      await tabA.bringToFront();
      await tabA.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await tabA.getByRole('button', { name: 'Log In', exact: true }).click();
      await tabA.getByText('A login was started in another tab or window of this browser').waitFor();
      await tabA.getByText(BETA_REQUEST.companyName).waitFor();
      const failed = await server.gatehouse.deps.db.selectFrom('audit_events').select('id').where('action', '=', 'login.failed').execute();
      assert.deepEqual(failed, [], "Dana's password was tried against no one");
      // Tab B, on Erin's login, goes on as before.
      await tabB.bringToFront();
      await tabB.getByLabel('Password', { exact: true }).fill('Copper-Lantern-77?');
      await tabB.getByRole('button', { name: 'Log In', exact: true }).click();
      await tabB.getByText('Two-Factor Authentication', { exact: true }).waitFor();
    });
  });

  test('tab A, at the code step, goes to the dashboard once tab B logged the same user in', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const operator = await operatorAgent(server);
      const acme = await enrolledRootMaster(server, operator, ACME_REQUEST);
      const { page, tab: tabA } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;

      await tabA.goto(`${base}/login`);
      await identifyAndPassword(tabA, acme);
      await tabA.getByText('Two-Factor Authentication', { exact: true }).waitFor();
      // Tab B resumes that login at its code step; "Not you?", and the same user logs in
      // from the start there (a new login, which replaces tab A's).
      const tabB = await tabA.context().newPage();
      await tabB.goto(`${base}/login`);
      await tabB.getByText('Two-Factor Authentication', { exact: true }).waitFor();
      await tabB.getByRole('button', { name: 'Not you? Change user' }).click();
      await identifyAndPassword(tabB, acme);
      await tabB.getByText('Two-Factor Authentication', { exact: true }).waitFor();
      const first = await freshCode(acme.secret, acme.step + 1);
      acme.step = first.step;
      await tabB.getByLabel('Authentication Code').fill(first.code);
      await tabB.getByRole('button', { name: 'Verify', exact: true }).click();
      await tabB.waitForURL(`${base}/`);

      await tabA.bringToFront();
      const { code, step } = await freshCode(acme.secret, acme.step + 1);
      acme.step = step;
      await tabA.getByLabel('Authentication Code').fill(code);
      await tabA.getByRole('button', { name: 'Verify', exact: true }).click();
      // Not "Your sign-in took too long": the browser is signed in, so tab A is too.
      await tabA.waitForURL(`${base}/`).catch(async (error: unknown) => {
        throw new Error(`tab A stayed at ${tabA.url()}: ${(await tabA.evaluate(() => document.body.innerText)).slice(0, 600)}`, { cause: error });
      });
      await tabA.locator('header').getByText(ACME_REQUEST.companyName).first().waitFor();
    });
  });
});
