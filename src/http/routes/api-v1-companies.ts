// /api/v1 on companies. The company directory, suspension and the welcome email reach
// across companies, so they need platform-only scopes (companies:*; the guard refuses a
// company's client with 403) and check for a platform client again here. A company's
// client may read its own company (GET /companies/:companyId, any client; a platform
// client needs companies:read). Modules are in api-v1-modules.ts.
import { getCompany, resendWelcome, setCompanySuspended } from '../../companies/index.ts';
import { apiCompanyListQuery, apiCompanyPage, apiOneCompany, companyParams } from '../../contract/api-v1.ts';
import { done } from '../../contract/common.ts';
import { assertThat } from '../../errors.ts';
import { apiActorOf, lacksScope, reachedCompanyOf } from '../api-client-guard.ts';
import { companyPage } from '../directory-views.ts';
import { requestMeta } from '../guards.ts';
import { iso } from '../presenters.ts';
import { platformClient } from './api-v1-requests.ts';
import { reachAsActor } from './api-v1-tenant.ts';
import type { V1 } from './api-v1.ts';

export function companyRoutes({ api, deps }: V1) {
  api.get(
    '/companies',
    {
      config: { scope: 'companies:read' },
      schema: {
        summary: 'Every company, newest first, with its Root Master and invitation volume (pass nextCursor as cursor for the next page)',
        querystring: apiCompanyListQuery,
        response: { 200: apiCompanyPage },
      },
    },
    async (request) => {
      platformClient(request);
      return companyPage(deps, request.query);
    },
  );

  api.get(
    '/companies/:companyId',
    {
      // Any client: a company's client reads its own company (companies:read stays
      // platform-only); a platform client must hold companies:read, checked below.
      config: { scope: null, refusals: ['api.insufficient_scope'] },
      schema: {
        summary: 'One company (a company client: its own; a platform client needs companies:read)',
        params: companyParams,
        response: { 200: apiOneCompany },
      },
    },
    async (request) => {
      const actor = apiActorOf(request);
      if (actor.companyId === null && !actor.scopes.includes('companies:read')) throw lacksScope('companies:read');
      const { companyId } = reachAsActor(request);
      const company = await getCompany(deps.db, companyId);
      assertThat(company, 'request.not_found');
      return { company: { id: company.id, name: company.name, status: company.status, createdAt: iso(company.created_at) } };
    },
  );

  // With the conflicts each may answer.
  const companyActions = [
    ['suspend', 'Suspend a company (its users cannot log in; sessions end)', [], (id: string, apiClientId: string, meta: ReturnType<typeof requestMeta>) =>
      setCompanySuspended(deps, id, true, { apiClientId }, meta)],
    ['reactivate', 'Reactivate a suspended company', [], (id: string, apiClientId: string, meta: ReturnType<typeof requestMeta>) =>
      setCompanySuspended(deps, id, false, { apiClientId }, meta)],
    ['resend-welcome', "Send the Root Master a new Welcome to Gatehouse email (until they have signed up)", ['company.suspended', 'company.already_signed_up'], (id: string, apiClientId: string, meta: ReturnType<typeof requestMeta>) =>
      resendWelcome(deps, id, { apiClientId }, meta)],
  ] as const;
  for (const [name, summary, refusals, act] of companyActions) {
    api.post(
      `/companies/:companyId/${name}`,
      { config: { scope: 'companies:write', refusals }, schema: { summary, params: companyParams, response: { 200: done } } },
      async (request) => {
        const actor = platformClient(request);
        await act(reachedCompanyOf(request), actor.apiClientId, requestMeta(request));
        return {};
      },
    );
  }
}
