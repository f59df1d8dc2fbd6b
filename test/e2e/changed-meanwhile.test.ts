// Two tabs show the company's security policy; the first saves a stricter rule, the second,
// still showing the old policy, saves another change. The second save must not switch the
// rule off again (test/http/changed-meanwhile.test.ts has the server's side): its tab says
// nothing was saved, keeps what was typed until asked, and shows the current policy on
// request, on which the change then saves. The app's logic, not an engine's: Chromium only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { enrolledRootMaster, logInInTab } from './tabs.ts';

const TWO_PERSON = 'A second Master must approve each 2FA reset';
const LOCK_MINUTES = 'Lock Duration (minutes)';

async function openPolicy(base: string, tab: Page) {
  await tab.goto(`${base}/company`);
  await tab.getByRole('tab', { name: 'Security Policy' }).click();
  await tab.getByRole('button', { name: 'Save Policy' }).waitFor();
}

describe('a settings form saved in another tab meanwhile (chromium)', () => {
  test("the stale tab's save is refused and says so; the current policy is one click away, and the change saves on it", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const acme = await enrolledRootMaster(server, await operatorAgent(server), ACME_REQUEST);
      const { page, tab: tabA } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;
      const stored = async () => ({
        ...(await server.gatehouse.deps.db.selectFrom('companies').select(['two_person_2fa_reset', 'lockout_minutes']).where('name', '=', acme.companyName).executeTakeFirstOrThrow()),
      });

      await logInInTab(base, tabA, acme);
      await openPolicy(base, tabA);
      const tabB = await tabA.context().newPage();
      await openPolicy(base, tabB);
      const lockMinutesBefore = (await stored()).lockout_minutes;

      await tabA.bringToFront();
      await tabA.getByLabel(TWO_PERSON).check();
      await tabA.getByRole('button', { name: 'Save Policy' }).click();
      await tabA.getByText('Security policy saved.').waitFor();

      await tabB.bringToFront();
      assert.equal(await tabB.getByLabel(TWO_PERSON).isChecked(), false, 'tab B still shows the policy it opened');
      await tabB.getByLabel(LOCK_MINUTES).fill('45');
      await tabB.getByRole('button', { name: 'Save Policy' }).click();
      await tabB.getByText('Someone else saved changes here after you opened it').waitFor();
      assert.deepEqual(await stored(), { two_person_2fa_reset: 1, lockout_minutes: lockMinutesBefore }, 'nothing of tab B was saved');
      assert.equal(await tabB.getByLabel(LOCK_MINUTES).inputValue(), '45', 'what was typed stays until the user asks for the current policy');

      await tabB.getByRole('button', { name: 'Show Current Settings' }).click();
      await tabB.getByText('Someone else saved changes here after you opened it').waitFor({ state: 'detached' });
      assert.equal(await tabB.getByLabel(TWO_PERSON).isChecked(), true, 'tab B shows the rule tab A switched on');
      await tabB.getByLabel(LOCK_MINUTES).fill('45');
      await tabB.getByRole('button', { name: 'Save Policy' }).click();
      await tabB.getByText('Security policy saved.').waitFor();
      assert.deepEqual(await stored(), { two_person_2fa_reset: 1, lockout_minutes: 45 });
    });
  });
});
