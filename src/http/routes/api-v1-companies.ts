// /api/v1 on companies and their modules. The company directory, suspension, the welcome
// email and module grants reach across companies, so they need platform-only scopes
// (companies:*, modules:write; the guard refuses a company's client with 403) and check
// for a platform client again here. Two routes are open to a company's client for its
// own company: GET /companies/:companyId (any client; a platform client needs
// companies:read), its modules, on or off (modules:read), and switching them
// (modules:switch), as its Masters do; granting needs modules:write (docs/API.md).
import { getCompany, listCompanies, resendWelcome, setCompanySuspended } from '../../companies/index.ts';
import { apiOneCompany, companyModuleParams, companyParams } from '../../contract/api-v1.ts';
import { done } from '../../contract/common.ts';
import { companyModuleSwitches, enableBody } from '../../contract/company.ts';
import { companies, moduleList } from '../../contract/operator.ts';
import { assertThat, GatehouseError } from '../../errors.ts';
import { companyModules, getModule, grantModule, listModules, revokeModuleGrant, switchCompanyModule } from '../../modules/index.ts';
import { companyView, moduleView } from '../../presenters/index.ts';
import { auditActor, invitationVolume } from '../../users/index.ts';
import { apiActorOf } from '../api-client-guard.ts';
import { requestMeta } from '../guards.ts';
import { iso } from '../presenters.ts';
import { platformClient } from './api-v1-requests.ts';
import { reachAsActor } from './api-v1-tenant.ts';
import type { V1 } from './api-v1.ts';

export function companyRoutes({ api, deps }: V1) {
  api.get(
    '/companies',
    { config: { scope: 'companies:read' }, schema: { summary: 'Every company, newest first, with its Root Master and invitation volume', response: { 200: companies } } },
    async (request) => {
      platformClient(apiActorOf(request));
      const rows = await listCompanies(deps.db);
      const volume = await invitationVolume(deps.db, deps.clock());
      return { companies: rows.map((c) => companyView(c, volume)) };
    },
  );

  api.get(
    '/companies/:companyId',
    {
      // Any client: a company's client reads its own company (companies:read stays
      // platform-only); a platform client must hold companies:read, checked below.
      config: { scope: null },
      schema: {
        summary: 'One company (a company client: its own; a platform client needs companies:read)',
        params: companyParams,
        response: { 200: apiOneCompany },
      },
    },
    async (request) => {
      const actor = apiActorOf(request);
      if (actor.companyId === null && !actor.scopes.includes('companies:read')) throw new GatehouseError('api.insufficient_scope');
      const { companyId } = await reachAsActor(deps, request);
      const company = await getCompany(deps.db, companyId);
      assertThat(company, 'request.not_found');
      return { company: { id: company.id, name: company.name, status: company.status, createdAt: iso(company.created_at) } };
    },
  );

  const companyActions = [
    ['suspend', 'Suspend a company (its users cannot log in; sessions end)', (id: string, apiClientId: string, meta: ReturnType<typeof requestMeta>) =>
      setCompanySuspended(deps, id, true, { apiClientId }, meta)],
    ['reactivate', 'Reactivate a suspended company', (id: string, apiClientId: string, meta: ReturnType<typeof requestMeta>) =>
      setCompanySuspended(deps, id, false, { apiClientId }, meta)],
    ['resend-welcome', "Send the Root Master a new Welcome to Gatehouse email (until they have signed up)", (id: string, apiClientId: string, meta: ReturnType<typeof requestMeta>) =>
      resendWelcome(deps, id, { apiClientId }, meta)],
  ] as const;
  for (const [name, summary, act] of companyActions) {
    api.post(
      `/companies/:companyId/${name}`,
      { config: { scope: 'companies:write' }, schema: { summary, params: companyParams, response: { 200: done } } },
      async (request) => {
        const actor = platformClient(apiActorOf(request));
        await act(request.params.companyId, actor.apiClientId, requestMeta(request));
        return {};
      },
    );
  }
}

export function moduleRoutes({ api, deps }: V1) {
  api.get(
    '/modules',
    { config: { scope: 'modules:read' }, schema: { summary: 'Registered modules (platform clients only)', response: { 200: moduleList } } },
    async (request) => {
      // modules:read is open to company clients for their own switches; the catalogue is not.
      platformClient(apiActorOf(request));
      return { modules: (await listModules(deps.db)).map(moduleView) };
    },
  );

  api.get(
    '/companies/:companyId/modules',
    { config: { scope: 'modules:read' }, schema: { summary: 'Modules granted to the company, on or off', params: companyParams, response: { 200: companyModuleSwitches } } },
    async (request) => {
      const { companyId } = await reachAsActor(deps, request);
      const granted = await companyModules(deps.db, companyId);
      return { modules: granted.map((m) => ({ id: m.id, name: m.name, description: m.description, enabled: m.enabled === 1 })) };
    },
  );

  api.post(
    '/companies/:companyId/modules/:moduleId/grant',
    { config: { scope: 'modules:write' }, schema: { summary: 'Grant a module to a company', params: companyModuleParams, response: { 200: done } } },
    async (request) => {
      platformClient(apiActorOf(request));
      const { companyId, moduleId } = request.params;
      assertThat((await getCompany(deps.db, companyId)) && (await getModule(deps.db, moduleId)), 'request.not_found');
      await grantModule(deps.db, companyId, moduleId, deps.clock());
      return {};
    },
  );

  api.post(
    '/companies/:companyId/modules/:moduleId/revoke',
    {
      config: { scope: 'modules:write' },
      schema: { summary: "Take a module away from a company (its users' module sign-ins end)", params: companyModuleParams, response: { 200: done } },
    },
    async (request) => {
      platformClient(apiActorOf(request));
      const { companyId, moduleId } = request.params;
      await deps.db.transaction().execute((tx) => revokeModuleGrant(tx, companyId, moduleId, deps.clock()));
      return {};
    },
  );

  api.post(
    '/companies/:companyId/modules/:moduleId',
    {
      config: { scope: 'modules:switch' },
      schema: { summary: 'Switch a granted module on or off for the company', params: companyModuleParams, body: enableBody, response: { 200: done } },
    },
    async (request) => {
      // A company's own client may switch its company's modules, as its Masters do.
      const actor = await reachAsActor(deps, request);
      const { ip, userAgent } = requestMeta(request);
      const by = { ...auditActor(actor), ip, userAgent };
      const changed = await deps.db
        .transaction()
        .execute((tx) => switchCompanyModule(tx, deps.clock(), actor.companyId, request.params.moduleId, request.body.enabled, by));
      assertThat(changed, 'request.not_found');
      return {};
    },
  );
}
