// The versioned API for API clients (/api/v1), behind the API-client guard. Tenant data
// lives under /api/v1/companies/:companyId/...: a company's client names its own company
// (GET /api/v1/client tells it the id), a platform client any company; another
// company's id is "not found", exactly like an id that does not exist (so is a malformed
// one: the contract answers a bad path id with 404).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { apiClientSelf } from '../../contract/api-v1.ts';
import type { OidcService } from '../../modules/index.ts';
import type { CoreDeps } from '../../shared/deps.ts';
import { apiActorOf, apiClientGuard } from '../api-client-guard.ts';
import { downloadSlotsOf, type DownloadSlots } from '../csv-download-slots.ts';
import type { HttpContext } from '../context.ts';
import { idempotentCreates, type IdempotentCreate } from '../idempotent-creates.ts';
import { companyRoutes } from './api-v1-companies.ts';
import { groupRoutes } from './api-v1-groups.ts';
import { moduleRoutes } from './api-v1-modules.ts';
import { requestRoutes } from './api-v1-requests.ts';
import { tenantRoutes } from './api-v1-tenant.ts';
import { userRoutes } from './api-v1-users.ts';

const TAG = 'API v1 (API clients)';

const typed = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();

/** What the v1 route files share: the typed scope, the dependencies, the idempotent create, the CSV download slots. */
export interface V1 {
  api: ReturnType<typeof typed>;
  /** Every transaction a write route opens is its API client's change, checked again in it (checkClientsInTransactions). */
  deps: CoreDeps;
  /** A create's Idempotency-Key, kept per API client (idempotent-creates.ts). */
  idempotent: IdempotentCreate;
  /** The app's CSV download slots, which the console's routes share (downloadSlotsOf, by the app's own deps). */
  downloads: DownloadSlots;
}

export async function apiV1Routes(app: FastifyInstance, { deps }: HttpContext, oidc: OidcService): Promise<void> {
  await app.register(
    async (scope) => {
      scope.addHook('onRoute', (route) => {
        const schema = (route.schema ??= {}) as Record<string, unknown>;
        schema.tags ??= [TAG];
        schema.security ??= [{ bearer: [] }];
        const needed = route.config?.scope;
        const said = typeof schema.description === 'string' ? schema.description : '';
        const note = needed ? `Scope: ${needed}.` : 'Any API client.';
        if (!said.endsWith(note)) schema.description = `${said} ${note}`.trim();
      });
      await scope.register(apiClientGuard, { deps, provider: () => oidc.provider() });
      const api = typed(scope);

      api.get('/client', { config: { scope: null }, schema: { summary: 'The API client this token belongs to', response: { 200: apiClientSelf } } }, async (request) => {
        const actor = apiActorOf(request);
        return { client: { clientId: actor.clientId, name: actor.name, companyId: actor.companyId, scopes: actor.scopes } };
      });

      const v1: V1 = { api, deps, idempotent: idempotentCreates(deps, (request) => ({ apiClientId: apiActorOf(request).apiClientId })), downloads: downloadSlotsOf(deps) };
      tenantRoutes(v1);
      userRoutes(v1);
      groupRoutes(v1);
      requestRoutes(v1);
      companyRoutes(v1);
      moduleRoutes(v1);
    },
    { prefix: '/api/v1' },
  );
}
