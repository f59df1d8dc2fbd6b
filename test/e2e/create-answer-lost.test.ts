// A create whose answer is lost on the way back (the connection drops after Gatehouse did
// the work: a proxy restart, a flaky Wi-Fi). The page must not mislead: it says the change
// may have gone through and shows the list as Gatehouse has it, and the user's retry of the
// same form is answered the first result (the invite shown as sent, the dialog closed), not
// refused as "already used" for what the lost request made, nor made twice (an API client,
// whose secret the lost answer held: the retry says to rotate it). Guards the web app's
// Idempotency-Key per submission (useApiForm, api.ts postOnce) and the console routes that
// honour it per signed-in user, and the public account request per form (src/http/idempotent-creates.ts). Page.route only drops the
// connection after the real server answered; nothing is faked. Chromium only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { freshCode, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse, type Stage } from './stage.ts';
import { enrolledRootMaster, logInInTab } from './tabs.ts';

const MAY_HAVE_GONE_THROUGH = 'this may have gone through';

/** The next POST to `path` reaches Gatehouse, which answers; the answer never arrives. */
async function loseNextAnswer(tab: Page, path: string) {
  await tab.route(`**${path}`, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    await route.fetch();
    await route.abort('connectionreset');
  });
}

async function signedInOnCompany({ server, closeFirst }: Pick<Stage, 'server' | 'closeFirst'>) {
  const dana = await enrolledRootMaster(server, await operatorAgent(server), ACME_REQUEST);
  const { page, tab } = await launchChromiumWithTab();
  closeFirst('closing the browser', () => page.close());
  await logInInTab(server.baseUrl, tab, dana);
  await tab.goto(`${server.baseUrl}/company`);
  return Object.assign(tab, { dana });
}

/** The Confirm-it-is-you dialog's password and a code not used before, then its button. */
async function prove(tab: Page, dana: { secret: string; step: number }, title: string, confirm: string) {
  const dialog = tab.getByRole('dialog', { name: title });
  await dialog.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
  const { code, step } = await freshCode(dana.secret, dana.step + 1);
  dana.step = step;
  await dialog.getByLabel('Authentication Code').fill(code);
  await dialog.getByRole('button', { name: confirm }).click();
}

describe('a create whose answer was lost (chromium)', () => {
  test('trying again as the page asks ends with the invite shown as sent, not "username already used" for a user the list does not show', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async (stage) => {
      const tab = await signedInOnCompany(stage);
      const { db } = stage.server.gatehouse.deps;
      await tab.getByRole('button', { name: 'Invite User' }).first().click();
      await tab.getByLabel('Email').fill('zed@acme.test');
      await tab.getByLabel('Username').fill('zed');

      await loseNextAnswer(tab, '/api/company/users');
      await tab.getByRole('button', { name: 'Send Invite' }).click();
      const dialog = tab.getByRole('dialog');
      await dialog.getByText('Check your connection and try again.').waitFor();
      const invited = await db.selectFrom('users').select('username').where('username', '=', 'zed').execute();
      assert.equal(invited.length, 1, 'Gatehouse did invite Zed (the answer alone was lost)');
      assert.ok((await dialog.innerText()).includes(MAY_HAVE_GONE_THROUGH), 'the dialog says the invite may have gone out');
      // The list behind the dialog is read again: Zed is in it.
      await tab.locator('table').getByText('zed', { exact: true }).first().waitFor({ state: 'attached' });

      // The connection is back; the user does what the page said: try again.
      await tab.unroute('**/api/company/users');
      await tab.getByRole('button', { name: 'Send Invite' }).click();
      await tab.waitForFunction(
        () => document.body.innerText.includes('already used in this company') || document.body.innerText.includes('Invitation sent'),
      );
      const text = await tab.locator('body').innerText();
      assert.ok(!text.includes('That username is already used in this company'),
        'the retry of the same invite is not refused as a clash with a user the page does not show');
      assert.ok(text.includes('Invitation sent to zed@acme.test'), 'the user learns the invite went out');
      const zeds = await db.selectFrom('users').select('id').where('username', '=', 'zed').execute();
      assert.equal(zeds.length, 1, 'one Zed');
    });
  });

  test('a new group whose answer was lost: the retry closes the dialog with the group listed, not "name already exists"', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async (stage) => {
      const tab = await signedInOnCompany(stage);
      await tab.getByRole('tab', { name: 'Groups' }).click();
      await tab.getByRole('button', { name: 'New Group' }).click();
      await tab.getByLabel('Group Name').fill('Service Desk');

      await loseNextAnswer(tab, '/api/company/groups');
      await tab.getByRole('button', { name: 'Create Group' }).click();
      const dialog = tab.getByRole('dialog');
      await dialog.getByText(MAY_HAVE_GONE_THROUGH, { exact: false }).waitFor();

      await tab.unroute('**/api/company/groups');
      await tab.getByRole('button', { name: 'Create Group' }).click();
      await dialog.waitFor({ state: 'detached' });
      const text = await tab.locator('body').innerText();
      assert.ok(!text.includes('already exists'), 'the retry of the same group is not refused as a clash with itself');
      await tab.getByRole('button', { name: 'Delete Service Desk' }).waitFor();
      const groups = await stage.server.gatehouse.deps.db.selectFrom('groups').select('id').where('name', '=', 'Service Desk').execute();
      assert.equal(groups.length, 1, 'one group');
    });
  });

  test('a new API client whose answer was lost: the retry, with a fresh code, shows it created and says to rotate its secret; one client', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async (stage) => {
      const tab = await signedInOnCompany(stage);
      await tab.getByRole('tab', { name: 'API Clients' }).click();
      await tab.getByRole('button', { name: 'New API Client' }).click();
      await tab.getByLabel('Name').fill('PSA sync');
      await tab.getByRole('checkbox', { name: 'users:read' }).check();
      await tab.getByRole('button', { name: 'Create API Client' }).click();

      await loseNextAnswer(tab, '/api/company/api-clients');
      await prove(tab, tab.dana, 'Create API client', 'Create API Client');
      const confirming = tab.getByRole('dialog', { name: 'Create API client' });
      await confirming.getByText(MAY_HAVE_GONE_THROUGH, { exact: false }).waitFor();

      // The dialog asks for the proof again (the code used is spent); the connection is back.
      await tab.unroute('**/api/company/api-clients');
      await prove(tab, tab.dana, 'Create API client', 'Create API Client');
      const created = tab.getByRole('dialog', { name: 'API client created' });
      await created.getByText('Rotate the secret before using it.').waitFor();
      const shown = await created.innerText();
      assert.ok(shown.includes('API client created') && shown.includes('PSA sync'), `the client the first request made:\n${shown}`);
      assert.ok(!/ghapisec_/.test(shown) && !shown.includes('Copy the client secret now.'), 'no secret to copy: it was in the lost answer');
      const clients = await stage.server.gatehouse.deps.db.selectFrom('api_clients').select('client_id').where('name', '=', 'PSA sync').execute();
      assert.equal(clients.length, 1, 'one client, not a second whose secret nobody saw');
      assert.ok(shown.includes(clients[0]!.client_id), 'its client id is shown');
      await created.getByRole('button', { name: 'Done' }).click();
      await tab.getByRole('button', { name: 'Rotate Secret for PSA sync' }).waitFor();
    });
  });

  test('a company account request whose answer was lost: the retry shows "Request received", not "name taken" by the request it made; one request', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const { db } = server.gatehouse.deps;
      await tab.goto(`${server.baseUrl}/request-account`);
      await tab.getByLabel('Company Name').fill(ACME_REQUEST.companyName);
      await tab.getByLabel('Contact Name').fill(ACME_REQUEST.contactName);
      await tab.getByLabel('Email').fill(ACME_REQUEST.email);
      await tab.getByLabel('Phone').fill(ACME_REQUEST.phone);

      await loseNextAnswer(tab, '/api/account-requests');
      await tab.getByRole('button', { name: 'Submit Request' }).click();
      await tab.getByText('Check your connection and try again.').waitFor();
      const stored = await db.selectFrom('account_requests').select('id').where('company_name', '=', ACME_REQUEST.companyName).execute();
      assert.equal(stored.length, 1, 'Gatehouse did store the request (the answer alone was lost)');

      await tab.unroute('**/api/account-requests');
      await tab.getByRole('button', { name: 'Submit Request' }).click();
      await tab.waitForFunction(() => document.body.innerText.includes('Request received') || document.body.innerText.includes('already'));
      const text = await tab.locator('body').innerText();
      assert.ok(text.includes('Request received'), `the visitor learns the request went in, not that the name is taken: ${text.slice(0, 400)}`);
      assert.ok(text.includes(ACME_REQUEST.email), 'the confirmation names the address the welcome email goes to');
      const after = await db.selectFrom('account_requests').select('id').where('company_name', '=', ACME_REQUEST.companyName).execute();
      assert.equal(after.length, 1, 'one request, not two');
    });
  });
});
