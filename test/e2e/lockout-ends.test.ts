// A login locked by wrong codes says when the lock ends ("It ends in 15 minutes."), from
// the answer's Retry-After (web/src/api.ts, waitEnds in web/src/format.ts): each lock
// since the last completed login lasts twice the one before, so "when the lock ends" alone
// left a person guessing how long to wait. Chromium only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { freshCode, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { enrolledRootMaster, identifyAndPassword } from './tabs.ts';

describe('a locked login says when the lock ends (chromium)', () => {
  test('the fifth wrong code locks the account, and the page says how long', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const dana = await enrolledRootMaster(server, await operatorAgent(server), ACME_REQUEST);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());

      await tab.goto(`${server.baseUrl}/login`);
      await identifyAndPassword(tab, dana);
      await tab.getByText('Two-Factor Authentication', { exact: true }).waitFor();
      const { code } = await freshCode(dana.secret, dana.step + 1);
      const wrong = String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
      for (let i = 0; i < 5; i += 1) {
        await tab.getByLabel('Authentication Code').fill(wrong);
        // One guess at a time: each answered before the next is typed.
        const answered = tab.waitForResponse((response) => new URL(response.url()).pathname === '/api/login/totp');
        await tab.getByRole('button', { name: 'Verify', exact: true }).click();
        const status = (await answered).status();
        assert.equal(status, i < 4 ? 401 : 429, `guess ${i + 1}`);
      }
      const told = tab.getByText(/your account is locked/i).first();
      await told.waitFor();
      const text = await told.innerText();
      assert.match(text, /It ends in 15 minutes\./, `the lock's end is told:\n${text}`);
    });
  });
});
