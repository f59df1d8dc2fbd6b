// A page outlives what it was opened with: its session (ended from another tab), the
// user's role (changed by a Master in another browser), or the login a module's sign-in
// was waiting for (finished in another tab). The page must follow: to the login page and
// back, to the user's new role, on to the module. Chromium only: the app's logic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { companyWithRootMaster, invitedMember, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { startGrantedDemoModule } from './launch-module.ts';
import { JOURNEY_TIMEOUT_MS, totpStep } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { enrolledRootMaster, logInInTab } from './tabs.ts';

describe('pages that outlive their session, role or login (chromium)', () => {
  test('a save after Log Out in another tab goes to the login page, which says why and comes back', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const dana = await enrolledRootMaster(server, await operatorAgent(server), ACME_REQUEST);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;
      await logInInTab(base, tab, dana);
      await tab.goto(`${base}/settings`);
      await tab.getByLabel('Display Name').waitFor();

      const other = await tab.context().newPage();
      await other.goto(`${base}/`);
      await other.getByRole('button', { name: 'Log Out' }).first().click();
      await other.waitForURL(/\/login/);

      await tab.bringToFront();
      await tab.getByLabel('Display Name').fill('Dana Renamed');
      await tab.getByRole('button', { name: 'Save', exact: true }).first().click();
      await tab.waitForURL(/\/login\?/);
      await tab.getByText('Your session has ended. Log in again to continue where you were.').waitFor();
      // Logged in again (the login page's own steps), the user is back on My Settings.
      await logInInTab(base, tab, dana, { from: 'here', lands: `${base}/settings` });
      await tab.getByLabel('Display Name').waitFor();
    });
  });

  test("a Master demoted while the Company page is open loses the Company link at the next refusal", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Managed IT', 'dana@acme.test');
      const mia = await invitedMember(server, company, company.root.agent, { username: 'mia', role: 'master' });
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;
      await logInInTab(base, tab, { username: 'mia', companyName: company.companyName, secret: mia.totpSecret, step: totpStep(Date.now()) });
      const companyLink = tab.getByRole('banner').getByRole('link', { name: 'Company', exact: true });
      await companyLink.first().waitFor();
      await tab.goto(`${base}/company`);
      await tab.getByRole('button', { name: 'Invite User' }).first().waitFor();

      const demoted = await withFreshProof(server, company.root.agent, () => company.root.agent.post(`/api/company/users/${mia.id}/role`, { role: 'user' }));
      assert.equal(demoted.status, 200);
      await tab.getByRole('button', { name: 'Invite User' }).first().click();
      await tab.getByLabel('Email').fill('zed@acme.test');
      await tab.getByLabel('Username').fill('zed');
      await tab.getByRole('button', { name: 'Send Invite' }).click();
      // Refused for her role: the app asks who she is again, and the header follows.
      await tab.getByText('You do not have access to this page.').first().waitFor();
      await tab.waitForFunction(() => ![...document.querySelectorAll('header a')].some((a) => a.textContent?.trim() === 'Company'));
    });
  });

  test("a module's login page, reloaded after a login in another tab, goes on to the module", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, certificate, closeFirst }) => {
      const dana = await enrolledRootMaster(server, await operatorAgent(server), ACME_REQUEST);
      const demo = await startGrantedDemoModule(server, certificate, dana.companyName, () => {});
      closeFirst('stopping the demo', () => demo.close());
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());

      await tab.goto(`${demo.url}/login`);
      await tab.getByLabel('Username', { exact: true }).waitFor();
      const other = await tab.context().newPage();
      await logInInTab(server.baseUrl, other, dana);

      await tab.bringToFront();
      await tab.reload();
      await tab.waitForURL(`${demo.url}/`);
      await tab.getByText(`Signed in as ${dana.username} of ${dana.companyName}`).waitFor();
    });
  });
});
