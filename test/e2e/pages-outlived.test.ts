// A page outlives what it was opened with: its session (ended from another device) or the
// user's role (changed by a Master in another browser). The page must follow: to the login
// page and back, to the user's new role. Chromium only: the app's logic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { companyWithRootMaster, invitedMember, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { currentStep, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { enrolledRootMaster, logInInTab } from './tabs.ts';

describe('pages that outlive their session or role (chromium)', () => {
  // (Log Out in another tab of this browser takes the page away at once: shared-computer.test.ts.)
  test('a save after the session was ended elsewhere goes to the login page, which says why and comes back', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const dana = await enrolledRootMaster(server, await operatorAgent(server), ACME_REQUEST);
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;
      await logInInTab(base, tab, dana);
      await tab.goto(`${base}/settings`);
      await tab.getByLabel('Display Name').waitFor();

      // The save is what this test is about: the page's own looks at its session (each minute,
      // shared-computer.test.ts), which would find the ended session first on a slow run, fail.
      await tab.route('**/api/me', (route) => (route.request().headers()['x-gatehouse-look-only'] ? route.abort() : route.continue()));
      await tab.getByLabel('Display Name').fill('Dana Renamed');
      // Ended where this browser cannot hear it (signed out everywhere from another device).
      await server.gatehouse.deps.db.deleteFrom('sessions').execute();
      await tab.getByRole('button', { name: 'Save', exact: true }).first().click();
      await tab.waitForURL(/\/login\?/);
      await tab.getByText('Your session has ended. Log in again to continue where you were.').waitFor();
      // Logged in again (the login page's own steps), the user is back on My Settings.
      await logInInTab(base, tab, dana, { from: 'here', lands: `${base}/settings` });
      await tab.getByLabel('Display Name').waitFor();
    });
  });

  test("a Master demoted while the Company page is open loses the Company link at the next refusal", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Managed IT', 'dana@acme.test');
      const mia = await invitedMember(server, company, company.root.agent, { username: 'mia', role: 'master' });
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      // The refused change is what this test is about: the page's own looks at its session
      // (each minute, on focus) would find the new role first on a slow run and take the
      // Company page away before the click (useSessionWatch.ts; that path has its own tests).
      await tab.route('**/api/me', (route) => (route.request().headers()['x-gatehouse-look-only'] ? route.abort() : route.continue()));
      const base = server.baseUrl;
      await logInInTab(base, tab, { username: 'mia', companyName: company.companyName, secret: mia.totpSecret, step: currentStep() });
      const companyLink = tab.getByRole('banner').getByRole('link', { name: 'Company', exact: true });
      await companyLink.first().waitFor();
      await tab.goto(`${base}/company`);
      await tab.getByRole('button', { name: 'Invite User' }).first().waitFor();

      const demoted = await withFreshProof(server, company.root.agent, () => company.root.agent.post(`/api/company/users/${mia.id}/role`, { role: 'user' }));
      assert.equal(demoted.status, 200);
      // Refused for her role (403): the app asks who she is again, and the header follows.
      // The refusal is the invite's, or, on a slow run, that of a list the page reloads
      // meanwhile: either is "the next refusal", and may take the page away before the click.
      const companyLinkGone = tab.waitForFunction(() => ![...document.querySelectorAll('header a')].some((a) => a.textContent?.trim() === 'Company'));
      const invite = (async () => {
        await tab.getByRole('button', { name: 'Invite User' }).first().click();
        await tab.getByLabel('Email').fill('zed@acme.test');
        await tab.getByLabel('Username').fill('zed');
        await tab.getByRole('button', { name: 'Send Invite' }).click();
      })();
      // Its steps may find the page gone (the browser's close ends any still waiting).
      invite.catch(() => undefined);
      await companyLinkGone;
      const invited = await server.gatehouse.deps.db.selectFrom('users').select('id').where('username', '=', 'zed').execute();
      assert.deepEqual(invited, [], 'nobody was invited');
    });
  });
});
