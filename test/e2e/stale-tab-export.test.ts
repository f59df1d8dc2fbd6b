// "Export CSV" is a plain link, and a navigation carries no X-Gatehouse-User header: from a
// tab still showing Acme, after another tab of the browser logged in as Beta's Root Master,
// it downloaded Beta's audit trail under Acme's page. The link names the page's user and a
// click asks first (test/http/csv-export-shown-user.test.ts has the server's side): the
// tab reloads as Beta's instead of downloading. The app's logic, not an engine's: Chromium only.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { Download, Page } from 'playwright-core';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { acmeBetaAndATab, BETA_REQUEST, logInInTab } from './tabs.ts';

const exportLink = (tab: Page) => tab.getByRole('link', { name: 'Export CSV', exact: true });
const textOf = async (download: Download) => readFile(await download.path(), 'utf8');

describe('a stale tab exports nothing of another account (chromium)', () => {
  test("tab A, showing Acme's audit log, reloads as Beta's Root Master at Export CSV once tab B logged in as her", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async (stage) => {
      const { acme, beta, tab: tabA, base } = await acmeBetaAndATab(stage);

      await logInInTab(base, tabA, acme);
      await tabA.goto(`${base}/company?tab=audit`);
      // Its own session's: the click asks, then the link downloads Acme's trail.
      const [own] = await Promise.all([tabA.waitForEvent('download'), exportLink(tabA).click()]);
      assert.match(own.suggestedFilename(), /\.csv$/);
      assert.match(own.url(), /[?&]shownUser=/, 'the link names the page\'s user, for a download opened another way too');
      const acmeTrail = await textOf(own);
      assert.ok(acmeTrail.includes(acme.username) && !acmeTrail.includes(beta.username), acmeTrail.slice(0, 400));

      const tabB = await tabA.context().newPage();
      await logInInTab(base, tabB, beta);
      await tabA.bringToFront();
      // Whichever comes first: a download (Beta's trail, the bug) or tab A as Beta's.
      const stale = await Promise.race([
        tabA.waitForEvent('download').catch(() => null),
        tabA.locator('header').getByText(BETA_REQUEST.companyName).first().waitFor().then(() => null),
        exportLink(tabA).click().then(() => new Promise<never>(() => {})),
      ]);
      if (stale) assert.fail(`tab A downloaded ${stale.suggestedFilename()}: ${(await textOf(stale)).slice(0, 400)}`);
      const header = await tabA.locator('header').innerText();
      assert.ok(!header.includes(ACME_REQUEST.companyName), `tab A's header: ${header}`);
    });
  });
});
