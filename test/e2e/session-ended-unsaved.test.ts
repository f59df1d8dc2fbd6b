// A session that ends while a form is being edited. The change (or the typed input) goes
// with it: the page leaves for the login page by a full page load, and after the login the
// user is back on the page showing what Gatehouse has. Something must say the change was
// not saved, or the user believes it was; nothing may keep what was typed (a shared
// computer's next user). Guards api.ts endedSession (`unsaved=1` for a refused change, or
// input typed in a form: session/typedInput.ts), the login page's and the returned page's
// word for it, and that a session ended with nothing typed claims nothing. Chromium only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { enrolledRootMaster, logInInTab } from './tabs.ts';

const NOT_SAVED = /not (been )?saved/i;

describe('a change lost with its session (chromium)', () => {
  test('a save refused because the session ended meanwhile: the login page and My Settings after it say the change was not saved', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const dana = await enrolledRootMaster(server, await operatorAgent(server), ACME_REQUEST);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;
      await logInInTab(base, tab, dana);
      await tab.goto(`${base}/settings`);
      await tab.getByLabel('Display Name').waitFor();
      // Only the save may find the ended session (not the page's own minute look at it).
      await tab.route('**/api/me', (route) => (route.request().headers()['x-gatehouse-look-only'] ? route.abort() : route.continue()));
      await tab.getByLabel('Display Name').fill('Dana Renamed');
      await server.gatehouse.deps.db.deleteFrom('sessions').execute();
      await tab.getByRole('button', { name: 'Save', exact: true }).first().click();
      await tab.waitForURL(/\/login\?/);
      await tab.getByText('Your session has ended').waitFor();
      const onLogin = await tab.locator('body').innerText();
      assert.match(onLogin, NOT_SAVED, `the login page says the change was not saved: ${JSON.stringify(onLogin.match(/Your session has ended[^\n]*/)?.[0])}`);
      assert.ok(!onLogin.includes('Dana Renamed') && !tab.url().includes('Renamed'), 'what was typed is kept nowhere');

      await logInInTab(base, tab, dana, { from: 'here', lands: `${base}/settings` });
      await tab.getByLabel('Display Name').waitFor();
      const stored = await server.gatehouse.deps.db.selectFrom('users').select('display_name').where('username', '=', dana.username).executeTakeFirstOrThrow();
      assert.notEqual(stored.display_name, 'Dana Renamed', 'the change was not saved');
      await tab.getByRole('alert').filter({ hasText: NOT_SAVED }).waitFor();
    });
  });

  test('Log Out in another tab: a page with typed, unsaved input says it was not saved; one without claims nothing', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const dana = await enrolledRootMaster(server, await operatorAgent(server), ACME_REQUEST);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;
      await logInInTab(base, tab, dana);
      const typing = await tab.context().newPage();
      await typing.goto(`${base}/settings`);
      await typing.getByLabel('Display Name').fill('Dana Typed');
      const idle = await tab.context().newPage();
      await idle.goto(`${base}/settings`);
      await idle.getByLabel('Display Name').waitFor();

      await tab.bringToFront();
      await tab.getByRole('button', { name: 'Log Out' }).first().click();
      await tab.waitForURL(/\/login/);
      for (const left of [typing, idle]) {
        await left.waitForURL(/\/login\?/);
        await left.getByText('Your session has ended').waitFor();
      }
      assert.match(await typing.locator('body').innerText(), NOT_SAVED, 'the page with typed input says it was not saved');
      assert.doesNotMatch(await idle.locator('body').innerText(), NOT_SAVED, 'a page with nothing typed claims no lost change');
      assert.doesNotMatch(await tab.locator('body').innerText(), NOT_SAVED, 'Log Out itself is no lost change');
    });
  });
});
