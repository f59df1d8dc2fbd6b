// Groups in a real browser: the Root Master opens Company, Groups, creates a group, gives
// it a module, adds and removes a member, renames and deletes groups; then the member logs
// in and the launcher shows the module that only their group has. The company, its user
// and its modules are set up with the test helpers; every group change happens in the UI.
// Screenshots go to test-output/screenshots/groups-<engine>/.
//
// Needs the web app built (npm run build:web) and Debian's chromium. Chromium only unless
// GATEHOUSE_E2E_BROWSERS names others.
//
//   npx node --test test/e2e/groups.test.ts
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, invitedMember, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { storedTestModule } from '../helpers/oidc.ts';
import type { TestServer } from '../helpers/server.ts';
import { grantModule } from '../../src/modules/index.ts';
import { enginesFromEnv, launchBrowser, type BrowserPage } from './browsers/index.ts';
import { waitUntil } from './browsers/wait.ts';
import { enterFreshCode, identifyAndPassword } from './login-page.ts';
import { currentStep, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

for (const engine of enginesFromEnv(process.env.GATEHOUSE_E2E_BROWSERS?.trim() || 'chromium')) {
  describe(`groups in a real browser (${engine})`, () => {
    test('Company, Groups: create, give a module, add and remove a member, rename, delete; the member’s launcher follows', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
      await onHttpsGatehouse(engine, async ({ server, closeFirst }) => {
        const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
        const uma = await invitedMember(server, company, company.root.agent, { username: 'uma', role: 'user' });
        // The helpers just used a code of this step (or an earlier one) for both logins.
        const enrolledStep = currentStep();
        for (const name of ['Ticketing', 'Wiki']) await grantedModule(server, company.companyId, name);
        const page = await launchBrowser(engine);
        closeFirst('closing the browser', () => page.close());
        const dir = `${SCREENSHOTS}groups-${engine}/`;
        rmSync(dir, { recursive: true, force: true });
        let count = 0;
        const shot = (step: string) => page.screenshot(`${dir}${String(++count).padStart(2, '0')}-${step}.png`);

        // The Root Master logs in and opens Company, Groups.
        await logIn(page, server.baseUrl, company.root.username, company.companyName, company.root.totpSecret, enrolledStep);
        await page.click('Company', 'link');
        await page.waitForPath('/company');
        await page.click('Groups', 'tab');
        await page.waitForText('No groups yet');

        // New Group; a name taken in another spelling is refused under the field.
        await page.click('New Group');
        await page.fill('Group Name', 'Service Desk');
        await page.click('Create Group');
        await page.waitForControl('Rename Service Desk');
        await page.click('New Group');
        await page.fill('Group Name', 'service  DESK');
        await page.click('Create Group');
        await page.waitForText('A group with this name already exists in this company.');
        await page.fill('Group Name', 'Temporary');
        await page.click('Create Group');
        await page.waitForControl('Delete Temporary');

        // Service Desk gets Ticketing: no one else sees it now, the Root Master included.
        await page.clickText('Service Desk may use Ticketing');
        await waitForLauncher(company.root.agent, ['Wiki']);
        await waitForLauncher(uma.agent, ['Wiki']);

        // uma joins, leaves, and joins again.
        await page.fill('Add a user to Service Desk', 'uma');
        await page.click('Add Member to Service Desk');
        await page.waitForControl('Remove uma from Service Desk');
        await waitForLauncher(uma.agent, ['Ticketing', 'Wiki']);
        await shot('service-desk-with-uma');
        await page.click('Remove uma from Service Desk');
        await waitForLauncher(uma.agent, ['Wiki']);
        await page.fill('Add a user to Service Desk', 'uma');
        await page.click('Add Member to Service Desk');
        await page.waitForControl('Remove uma from Service Desk');

        // Rename one group, delete the other.
        await page.click('Rename Service Desk');
        await page.fill('Group Name', 'Desk <EMEA>');
        await page.click('Rename');
        await page.waitForControl('Remove uma from Desk <EMEA>');
        await page.click('Delete Temporary');
        await page.waitForText('Its members lose the modules only this group gave them');
        await page.click('Delete Group');
        await page.waitForNoText('Temporary');
        await shot('groups');
        const groups = await company.root.agent.get('/api/company/groups');
        assert.deepEqual(
          groups.body.groups.map((g: any) => [g.name, g.members.map((m: any) => m.username), g.modules.map((m: any) => m.name)]),
          [['Desk <EMEA>', ['uma'], ['Ticketing']]],
        );
        await waitForLauncher(company.root.agent, ['Wiki']);

        // uma logs in: the launcher has the group's module as well as the open one.
        await page.click('Log Out');
        await page.waitForPath('/login');
        await logIn(page, server.baseUrl, 'uma', company.companyName, uma.totpSecret, enrolledStep, false);
        await page.waitForControl('Open Ticketing');
        await page.waitForControl('Open Wiki');
        await shot('uma-launcher');
      });
    });
  });
}

async function grantedModule(server: TestServer, companyId: string, name: string) {
  const { deps } = server.gatehouse;
  const { module } = await storedTestModule(server);
  await deps.db.updateTable('modules').set({ name, description: `${name} for the team` }).where('id', '=', module.id).execute();
  await grantModule(deps.db, companyId, module.id, deps.clock());
}

/** The launcher as the server gives it to this person, once it holds these modules. */
async function waitForLauncher(agent: Agent, names: string[]) {
  let last: string[] = [];
  await waitUntil(`the launcher to hold ${names.join(', ')}`, async () => {
    const answer = await agent.get('/api/modules');
    last = (answer.body.modules as { name: string }[]).map((m) => m.name).sort();
    return JSON.stringify(last) === JSON.stringify(names) ? true : undefined;
  }, { why: () => `it holds ${last.join(', ')}` });
}

/** The identifier-first login with password and a TOTP code of a step after `usedStep`. */
async function logIn(page: BrowserPage, base: string, username: string, companyName: string, secret: string, usedStep: number, fresh = true) {
  if (fresh) await page.goto(`${base}/login`);
  await identifyAndPassword(page, { username, companyName });
  await enterFreshCode(page, secret, usedStep);
  await page.waitForPath('/');
}
