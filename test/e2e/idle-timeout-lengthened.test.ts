// "A page merely left open never keeps an idle session alive" (docs/SECURITY.md) must hold
// whatever the page believes the idle timeout is: here the company lengthened it from 30
// to 60 minutes while Dana's page was open. The page's looks are no use of the session, so
// it still ends 60 minutes after Dana's last use (a question counted as a use renewed it
// at minute 30, until minute 91 of her absence). Chromium: the app's logic, not an engine's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withFreshProof } from '../helpers/step-up.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { acmeWithMember, logInInTab } from './tabs.ts';

describe('a page left open does not renew an idle session (chromium)', () => {
  test("its look at the time, past the idle timeout it knew of, is not counted as Dana's use", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const { company, dana } = await acmeWithMember(server);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      await tab.clock.install();
      await logInInTab(server.baseUrl, tab, dana);
      await tab.goto(`${server.baseUrl}/company`);
      await tab.getByText(dana.username).first().waitFor();

      const saved = await withFreshProof(server, company.root.agent, () => company.root.agent.post('/api/company/policy', { sessionIdleMinutes: 60 }));
      assert.equal(saved.status, 200, JSON.stringify(saved.body));

      // Dana's last use was 31 minutes ago, on the server and on the page.
      const { db } = server.gatehouse.deps;
      const lastUse = server.clock() - 31 * 60_000;
      await db.updateTable('sessions').set({ last_seen_at: lastUse }).where('user_id', '=', company.root.id).execute();
      const asked = tab.waitForResponse((response) => new URL(response.url()).pathname === '/api/me');
      await tab.clock.fastForward('31:00');
      await tab.clock.runFor(15_000);
      await asked; // the page's look at the time: the session lives (31 of 60 minutes)

      const rows = await db.selectFrom('sessions').select('last_seen_at').where('user_id', '=', company.root.id).execute();
      const latest = Math.max(...rows.map((row) => Number(row.last_seen_at)));
      assert.ok(latest <= lastUse + 60_000, `nobody used the browser, yet its session's last use moved from ${new Date(lastUse).toISOString()} to ${new Date(latest).toISOString()}: it now ends ${Math.round((latest - lastUse) / 60_000)} minutes later`);
    });
  });
});
