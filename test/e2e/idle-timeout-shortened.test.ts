// A company tightens its idle timeout (30 -> 10 minutes) because its technicians share a
// bench PC. Dana's Company page, already open, must leave once the server has ended her
// session after 10 idle minutes: the page's looks ask the server how long is left, rather
// than keeping the limit it read once (it showed Acme's users for the old 30 minutes, to
// Bob sitting down at minute 11). Chromium: the app's logic, not an engine's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withFreshProof } from '../helpers/step-up.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { acmeWithMember, logInInTab } from './tabs.ts';

describe('a page open while the company shortens its idle timeout (chromium)', () => {
  test('leaves once the new, shorter idle timeout has passed', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const { company, dana } = await acmeWithMember(server);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      await tab.clock.install();
      await logInInTab(server.baseUrl, tab, dana);
      await tab.goto(`${server.baseUrl}/company`);
      await tab.getByText('zoe.private').first().waitFor();

      // Another Master's session (here Dana's own, elsewhere) shortens the idle timeout to 10 minutes.
      const saved = await withFreshProof(server, company.root.agent, () => company.root.agent.post('/api/company/policy', { sessionIdleMinutes: 10 }));
      assert.equal(saved.status, 200, JSON.stringify(saved.body));

      // Dana walks away for 11 minutes: on the server her session is over.
      const { db } = server.gatehouse.deps;
      await db.updateTable('sessions').set({ last_seen_at: server.clock() - 11 * 60_000 }).where('user_id', '=', company.root.id).execute();
      await tab.clock.fastForward('11:00');
      await tab.clock.runFor(15_000); // the page's next look at the time

      const left = await tab.waitForURL(/\/login\?/, { timeout: 15_000 }).then(() => true, () => false);
      if (left) return;
      const text = await tab.locator('body').innerText();
      // The server has ended the session (its own answer, asked only now):
      const server401 = await tab.evaluate(() => fetch('/api/me').then((r) => r.status));
      assert.equal(server401, 401);
      assert.ok(left && !text.includes('zoe.private'), `11 minutes idle under a 10-minute timeout, the page still shows Acme's users at ${tab.url()}:\n${text.slice(0, 300)}`);
    });
  });
});
