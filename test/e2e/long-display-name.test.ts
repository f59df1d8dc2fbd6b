// A display name of one long word, within the server's own limit of 100 characters (a
// Master may give it at the invite; anyone may choose it in My Settings). At a 1280 px wide
// window the layout must still fit: no sideways scrolling of the whole page, and the buttons
// a person needs (the header's Log Out, each row's Actions) on screen. Guards the header's
// truncated name (SignedInShell), the tables' name cells (overflow-wrap: anywhere, so a
// wide table scrolls in its own box: ScrollTable) and the pages that greet the user by name
// (the dashboard, My Settings). Chromium only: the app's layout.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { companyWithRootMaster, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { currentStep, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { logInInTab } from './tabs.ts';

const LONG_NAME = 'W'.repeat(100);

async function fitsTheWindow(tab: Page, button: ReturnType<Page['getByRole']>, what: string) {
  const [scrollWidth, innerWidth] = await tab.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  const box = await button.boundingBox();
  assert.ok(box, `${what} is shown`);
  assert.ok(box.x + box.width <= innerWidth && scrollWidth <= innerWidth,
    `${what} is on screen and the page does not scroll sideways: the button's right edge at ${Math.round(box.x + box.width)} px, the page ${scrollWidth} px wide, the window ${innerWidth} px`);
}

describe('a display name of one long word (chromium)', () => {
  test("a member's long name keeps the Users tab within the window, its Actions on screen", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
      const admin = company.root.agent;
      const invited = await withFreshProof(server, admin, () => admin.post('/api/company/users', { email: 'zed@acme.test', username: 'zed', role: 'user', displayName: LONG_NAME }));
      assert.equal(invited.status, 201, 'the server takes the name');
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      await tab.setViewportSize({ width: 1280, height: 800 });
      const base = server.baseUrl;
      await logInInTab(base, tab, { username: company.root.username, companyName: company.companyName, secret: company.root.totpSecret, step: currentStep() });
      await tab.goto(`${base}/company`);
      const actions = tab.getByRole('button', { name: 'Actions for zed' });
      await actions.waitFor();
      await fitsTheWindow(tab, actions, "zed's Actions");
    });
  });

  test("the user's own long name keeps the header's Log Out on screen", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
      const saved = await company.root.agent.post('/api/me/profile', { displayName: LONG_NAME });
      assert.equal(saved.status, 200, 'the server takes the name');
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      await tab.setViewportSize({ width: 1280, height: 800 });
      await logInInTab(server.baseUrl, tab, { username: company.root.username, companyName: company.companyName, secret: company.root.totpSecret, step: currentStep() });
      const logOut = tab.getByRole('button', { name: 'Log Out' });
      await logOut.waitFor();
      await fitsTheWindow(tab, logOut, 'Log Out');
      // The whole name is still there to read, in the header's title.
      assert.equal(await tab.getByRole('banner').getByText(LONG_NAME).getAttribute('title'), LONG_NAME);
      await tab.goto(`${server.baseUrl}/settings`);
      await tab.getByLabel('Display Name').waitFor();
      await fitsTheWindow(tab, tab.getByRole('button', { name: 'Log Out' }), 'Log Out on My Settings');
    });
  });
});
