// A module's login page (Log In with Gatehouse, ?return=<the sign-in>) left open while the
// browser logs in to Gatehouse in another tab: reloaded, it goes on to the module with that
// session, not asking for the whole login again. It never does so when the sign-in's gate
// sent a signed-in browser there because its session will not do (?again=1: max_age,
// prompt=login, a key asked for): that would loop (test/oidc/reauthentication.test.ts
// checks the gate's mark, test/e2e/passkey-step-up.test.ts the page staying). Chromium only.
import { describe, test } from 'node:test';
import { operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { startGrantedDemoModule } from './launch-module.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { enrolledRootMaster, logInInTab } from './tabs.ts';

describe("a module's login page and a login made in another tab (chromium)", () => {
  test('reloaded after the other tab logged in, it goes on to the module', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
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
