// The operator console edits a registered module: its Modules tab's Edit opens Register's
// own fields prefilled from the module, a redirect URI is added and one taken away, and the
// table lists the module's redirect URIs as saved (the server's side:
// test/http/module-edit.test.ts and test/oidc/module-edit.test.ts). The app's logic, not
// an engine's: Chromium only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signedInOperator } from '../helpers/journey.ts';
import { registerTestModule, REDIRECT_URI } from '../helpers/oidc.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { currentStep, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { logInInTab } from './tabs.ts';

const ADDED_URI = 'https://desk.example.com/auth/callback';

describe('editing a module in the operator console (chromium)', () => {
  test("Edit opens the module's settings; a redirect URI added and one removed are saved and listed", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const operator = await signedInOperator(server);
      const { module } = await registerTestModule(operator.agent, { name: 'Ticketing', redirectUris: [REDIRECT_URI, 'http://127.0.0.1:4999/old'] });
      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      const base = server.baseUrl;

      await logInInTab(base, tab, { username: operator.username, companyName: operator.companyName, secret: operator.totpSecret, step: currentStep() }, { lands: `${base}/**` });
      await tab.goto(`${base}/operator`);
      await tab.getByRole('tab', { name: 'Modules' }).click();
      await tab.getByRole('button', { name: 'Edit Ticketing' }).click();

      const dialog = tab.getByRole('dialog', { name: 'Edit Ticketing' });
      const uris = dialog.locator('textarea[name="redirectUris"]');
      assert.equal(await uris.inputValue(), `${REDIRECT_URI}\nhttp://127.0.0.1:4999/old`, 'prefilled from the module');
      assert.equal(await dialog.locator('input[name="name"]').inputValue(), 'Ticketing');
      assert.equal(await dialog.getByRole('radio', { name: 'Confidential' }).isDisabled(), true, 'the client type stays');

      await uris.fill(`${REDIRECT_URI}\n${ADDED_URI}`);
      await dialog.getByRole('button', { name: 'Save Changes' }).click();
      await tab.getByText('Saved Ticketing.').waitFor();
      await dialog.waitFor({ state: 'detached' });

      const row = tab.getByRole('row').filter({ hasText: module.clientId });
      await row.getByText(ADDED_URI).waitFor();
      assert.equal(await row.getByText('http://127.0.0.1:4999/old').count(), 0, 'the removed URI is no longer listed');
      const stored = await server.gatehouse.deps.db.selectFrom('modules').select('redirect_uris').where('id', '=', module.id).executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(stored.redirect_uris), [REDIRECT_URI, ADDED_URI]);
    });
  });
});
