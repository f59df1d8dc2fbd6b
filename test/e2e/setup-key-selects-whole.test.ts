// Set Up 2FA's "Can't Scan" key: one click selects the whole key, groups and all, to copy
// by hand (and so do the one-time secrets of CopyField). The style that does it is
// `user-select: all`, which Safari's engine knows only by its prefixed name; React adds no
// prefixes to inline styles, so in WebKit a click selected nothing. Both names are written
// now (SELECTED_WHOLE_ON_CLICK, web/src/components/CopyField.tsx). Run in WebKit, where it
// failed, and Chromium.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST, approvedCompany, signUp } from '../helpers/journey.ts';
import { launchBrowser, type EngineName } from './browsers/index.ts';
import { identifyAndPassword } from './login-page.ts';
import { onHttpsGatehouse } from './stage.ts';

const GROUPED_KEY = /(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}/;

for (const engine of ['webkit', 'chromium'] as EngineName[]) {
  describe(`the setup key, one click (${engine})`, () => {
    test('one click on the key selects the whole key', { timeout: 120_000 }, async () => {
      await onHttpsGatehouse(engine, async ({ server, closeFirst }) => {
        const company = await approvedCompany(server, await operatorAgent(server));
        await signUp(server, company.link);
        const page = await launchBrowser(engine);
        closeFirst('closing the browser', () => page.close());
        await page.goto(`${server.baseUrl}/login`);
        await identifyAndPassword(page, { username: company.username, companyName: ACME_REQUEST.companyName });
        await page.click('Get Started');
        await page.click("Can't Scan");
        const grouped = (await page.waitForText(GROUPED_KEY)).match(GROUPED_KEY)?.[0] ?? '';
        assert.ok(grouped, 'the key shows in groups of four');
        await page.clickText(grouped);
        await page.waitForSelectedText(grouped);
      });
    });
  });
}
