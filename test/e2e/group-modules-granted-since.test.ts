// A group's card ticks a module on the group's own modules, sent with their version
// (If-Match). Built from the company's modules as the page loaded them instead, a module
// granted to the company after the page was opened, and ticked for the group by another
// Master, had no checkbox on this page: the next tick here (after "Not saved", Show Current
// Settings, as the 412 offers) sent the list without it, on the current version, and it was
// saved: the other Master's choice silently undone, and the module, named by no group any
// more, open to every user of the company. Chromium only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { companyWithRootMaster, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { storedTestModule } from '../helpers/oidc.ts';
import type { TestServer } from '../helpers/server.ts';
import { grantModule } from '../../src/modules/index.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { waitUntil } from './browsers/wait.ts';
import { currentStep, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { logInInTab } from './tabs.ts';

async function grantedModule(server: TestServer, companyId: string, name: string) {
  const { deps } = server.gatehouse;
  const { module } = await storedTestModule(server);
  await deps.db.updateTable('modules').set({ name }).where('id', '=', module.id).execute();
  await grantModule(deps.db, companyId, module.id, deps.clock());
  return module.id;
}

describe("a group's module ticks made on a page opened before a module was granted (chromium)", () => {
  test("ticking a module keeps the module another Master gave the group since", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
      const dana = { username: company.root.username, companyName: company.companyName, secret: company.root.totpSecret, step: currentStep() };
      const ticketing = await grantedModule(server, company.companyId, 'Ticketing');
      const desk = (await company.root.agent.post('/api/company/groups', { name: 'Desk' })).body.group;

      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      await logInInTab(server.baseUrl, tab, dana);
      await tab.goto(`${server.baseUrl}/company`);
      await tab.getByRole('tab', { name: 'Groups' }).click();
      await tab.getByLabel('Desk may use Ticketing').waitFor();

      // Meanwhile the operator grants Wiki, and another Master (over the API here) gives it to Desk alone.
      const wiki = await grantedModule(server, company.companyId, 'Wiki');
      const current = (await company.root.agent.get('/api/company/groups')).body.groups.find((g: { id: string }) => g.id === desk.id);
      const given = await company.root.agent.post(`/api/company/groups/${desk.id}/modules`, { moduleIds: [wiki] }, { 'if-match': `"${current.modulesVersion}"` });
      assert.equal(given.status, 200, JSON.stringify(given.body));

      // Dana ticks Ticketing on her page: refused (the group changed), she asks for the current settings, ticks again.
      await tab.getByLabel('Desk may use Ticketing').click();
      await tab.getByText('Not saved', { exact: true }).waitFor();
      await tab.getByRole('button', { name: 'Show Current Settings' }).click();
      await tab.getByText('Not saved', { exact: true }).waitFor({ state: 'detached' });
      await tab.getByLabel('Desk may use Ticketing').click();
      const { deps } = server.gatehouse;
      const desksModules = async () =>
        (await deps.db.selectFrom('group_modules').select('module_id').where('group_id', '=', desk.id).execute()).map((r) => r.module_id).sort();
      // The tick's save has landed once Desk has Ticketing, whatever else it kept.
      await waitUntil('Desk to have Ticketing', async () => ((await desksModules()).includes(ticketing) ? true : undefined));
      assert.deepEqual(await desksModules(), [ticketing, wiki].sort(), "Wiki, which another Master gave Desk, was taken away by a tick of Ticketing");
    });
  });
});
