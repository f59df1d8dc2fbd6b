// Dana, on the shared bench PC, has Gatehouse's Company page open in one tab and the Demo
// Module in another. She logs out from the module; Gatehouse's page asks "Do you want to
// log out from Demo Module and Gatehouse?" and she clicks Log Out: her Gatehouse session
// is ended. That page runs no script (its CSP allows none), so no tab is told; Gatehouse's
// own tab looks at its session when it is shown again (and each minute), and leaves: Bob,
// switching to it, does not get Acme's users (it kept them until the idle timeout).
// Chromium: the app's logic, not an engine's.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { companyWithRootMaster, invitedMember, operatorAgent } from '../helpers/company-admin.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { startGrantedDemoModule } from './launch-module.ts';
import { currentStep, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { logInInTab } from './tabs.ts';

describe("Log Out from a module ends Gatehouse's session: its open tabs leave too (chromium)", () => {
  test("the Company page tab stops showing Acme's users", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, certificate, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Managed IT', 'dana@acme.test');
      await invitedMember(server, company, company.root.agent, { username: 'zoe.private', role: 'user' });
      const dana = { username: company.root.username, companyName: company.companyName, secret: company.root.totpSecret, step: currentStep() };
      const demo = await startGrantedDemoModule(server, certificate, dana.companyName, () => {});
      closeFirst('stopping the demo', () => demo.close());
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      await logInInTab(server.baseUrl, tab, dana);
      await tab.goto(`${server.baseUrl}/company`);
      await tab.getByText('zoe.private').first().waitFor();

      const moduleTab = await tab.context().newPage();
      await moduleTab.goto(`${demo.url}/`);
      await moduleTab.getByText('Log In with Gatehouse').click();
      await moduleTab.getByText(`Signed in as ${dana.username} of ${dana.companyName}`).waitFor();
      await moduleTab.getByRole('button', { name: 'Log Out' }).or(moduleTab.getByRole('link', { name: 'Log Out' })).first().click();
      await moduleTab.getByText('and Gatehouse?').waitFor();
      await moduleTab.getByRole('button', { name: 'Log Out' }).click();
      await moduleTab.getByText('Log In with Gatehouse').waitFor();
      // Gatehouse's session is over (the module's logout ended it):
      assert.equal(await tab.evaluate(() => fetch('/api/me').then((r) => r.status)), 401);

      // Bob switches to Gatehouse's tab.
      await tab.bringToFront();
      await tab.waitForURL(/\/login\?/);
      await tab.getByText('Your session has ended').waitFor();
      const text = await tab.locator('body').innerText();
      assert.ok(!text.includes('zoe.private'), `after Log Out from the module (Gatehouse too), the Gatehouse tab still shows Acme's users at ${tab.url()}`);
    });
  });
});
