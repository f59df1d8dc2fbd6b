// A shared computer: Dana (a Root Master of Acme) leaves Gatehouse open, then logs out in
// one tab or lets her session run past the company's idle timeout, and walks away; Bob sits
// down at the same browser. Nothing of Acme's may stay on screen: a second tab leaves for the
// login page as soon as she logs out in the first (it rendered her user list from memory on
// the next click, and kept her name and role up until then), and a page left open goes
// there once the idle timeout has passed (it showed her users indefinitely). A page merely
// left open only looks (no use of the session), so it never keeps an idle session alive.
// Chromium only: the app's logic, not an engine's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { launchChromiumWithTab } from './browsers/index.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { acmeWithMember, logInInTab } from './tabs.ts';

describe("a shared browser after Dana's session ended (chromium)", () => {
  test("after Log Out in tab 1, tab 2's Company link shows nothing of Acme's users", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const { dana } = await acmeWithMember(server);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;
      await logInInTab(base, tab, dana);
      // Tab 2: Dana looked at her users, then went back to the dashboard.
      const tab2 = await tab.context().newPage();
      await tab2.goto(`${base}/company`);
      await tab2.getByText('zoe.private').first().waitFor();
      await tab2.getByRole('banner').getByRole('link', { name: 'Gatehouse home' }).click();
      await tab2.waitForURL(`${base}/`);
      // Everything tab 2 renders from now on, whichever document it is in.
      const shown: string[] = [];
      await tab2.exposeFunction('reportShown', (path: string) => shown.push(path));
      await tab2.evaluate(() => {
        const report = (window as unknown as { reportShown: (path: string) => void }).reportShown;
        new MutationObserver(() => {
          if (document.body.innerText.includes('zoe.private')) report(location.pathname);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });

      await tab.bringToFront();
      await tab.getByRole('button', { name: 'Log Out' }).first().click();
      await tab.waitForURL(/\/login/);

      // Tab 2 leaves by itself for the login page, before Bob touches it.
      await tab2.waitForURL(/\/login\?/);
      await tab2.getByText('Your session has ended').waitFor();
      const text = await tab2.locator('body').innerText();
      assert.ok(!text.includes('Acme Managed IT') && !text.includes('Root Master'), `tab 2 after Dana's Log Out:\n${text.slice(0, 400)}`);
      assert.deepEqual(shown, [], "after Dana's Log Out, tab 2 rendered Acme's user list (zoe.private) at " + shown.join(', '));
    });
  });

  test("a page left open past the idle timeout stops showing Acme's users when Bob comes back to it", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const { company, dana } = await acmeWithMember(server);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;
      // The page's clock, moved forward below as the wall clock would have moved.
      await tab.clock.install();
      await logInInTab(base, tab, dana);
      await tab.goto(`${base}/company`);
      await tab.getByText('zoe.private').first().waitFor();

      // Dana walks away: 31 minutes without use, past the company's 30-minute idle timeout,
      // on the server (her last use that long ago) and in the page.
      const { db } = server.gatehouse.deps;
      const ended = await db.updateTable('sessions').set({ last_seen_at: server.clock() - 31 * 60_000 }).where('user_id', '=', company.root.id).executeTakeFirst();
      assert.ok(Number(ended.numUpdatedRows) >= 1);
      // The page's own look at the time (every 15 s) finds the session's idle end passed.
      await tab.clock.fastForward('31:00');
      // The page sees its session's time is up and asks the server, which says it has ended.
      await tab.waitForURL(/\/login\?/);
      await tab.getByText('Your session has ended').waitFor();
      const text = await tab.locator('body').innerText();
      assert.ok(!text.includes('zoe.private') && !text.includes('Acme Managed IT'), `the page past the idle timeout still shows Acme's users:\n${text.slice(0, 400)}`);
    });
  });

  test('a page merely left open only looks at its session, which keeps no idle session alive, and stays, on a computer whose clock is hours ahead', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const { dana } = await acmeWithMember(server);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      // Past the session's absolute end (12 hours) as the server counts, were the two clocks compared.
      await tab.clock.install({ time: server.clock() + 13 * 60 * 60_000 });
      await logInInTab(server.baseUrl, tab, dana);
      await tab.goto(`${server.baseUrl}/company`);
      await tab.getByText('zoe.private').first().waitFor();
      const lastUse = async () => (await server.gatehouse.deps.db.selectFrom('sessions').select('last_seen_at').executeTakeFirstOrThrow()).last_seen_at;
      const usedAt = await lastUse();
      const uses: string[] = [];
      tab.on('request', (request) => {
        if (new URL(request.url()).pathname.startsWith('/api/') && !request.headers()['x-gatehouse-look-only']) uses.push(request.url());
      });
      // 29 minutes of a 30-minute idle timeout, with the window focused and shown again.
      await tab.clock.fastForward('29:00');
      await tab.evaluate(() => {
        document.dispatchEvent(new Event('visibilitychange'));
        window.dispatchEvent(new Event('focus'));
      });
      await tab.clock.runFor(15_000);
      assert.deepEqual(uses, [], 'no request that would count as a use of the session');
      assert.equal(await lastUse(), usedAt, "the session's last use is where Dana left it");
      assert.ok(tab.url().endsWith('/company'), tab.url());
    });
  });
});
