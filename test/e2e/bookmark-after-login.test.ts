// A page of the app opened from a bookmark while signed out (/company?tab=audit): the
// login page takes the user back to it after the login, as it does a page whose session
// ended (pages-outlived.test.ts: ?ended=1&next=), and does not claim a session ended.
// Guards SignedInLayout's way to the login page (loginPageFor, web/src/api.ts), with the
// login page's own rule for `next` (returnTo.ts: this app's pages only). Chromium only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { freshCode, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { enrolledRootMaster, identifyAndPassword } from './tabs.ts';

describe('a bookmarked page opened while signed out (chromium)', () => {
  test('after the login the user lands on the bookmarked page, not the dashboard', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const dana = await enrolledRootMaster(server, await operatorAgent(server), ACME_REQUEST);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;

      await tab.goto(`${base}/company?tab=audit`);
      await tab.waitForURL(/\/login/);
      await tab.getByLabel('Username').waitFor();
      const onLogin = await tab.locator('body').innerText();
      assert.ok(!onLogin.includes('Your session has ended'), `a signed-out visit is no ended session:\n${onLogin.slice(0, 300)}`);
      assert.equal(new URL(tab.url()).searchParams.get('ended'), null);

      await identifyAndPassword(tab, dana);
      await tab.getByText('Two-Factor Authentication', { exact: true }).waitFor();
      const { code } = await freshCode(dana.secret, dana.step + 1);
      await tab.getByLabel('Authentication Code').fill(code);
      await tab.getByRole('button', { name: 'Verify', exact: true }).click();
      await tab.waitForURL((url) => url.pathname !== '/login');
      await tab.getByText(dana.companyName).first().waitFor();
      const landed = new URL(tab.url());
      assert.equal(`${landed.pathname}${landed.search}`, '/company?tab=audit', 'the bookmarked page (Company, Audit Log) after the login');
      await tab.getByRole('tab', { name: 'Audit Log', selected: true }).waitFor();
    });
  });
});
