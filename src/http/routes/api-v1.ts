// The versioned API for API clients (/api/v1), behind the API-client guard. Tenant data
// lives under /api/v1/companies/:companyId/...: a company's client names its own company
// (GET /api/v1/client tells it the id), a platform client any company; another
// company's id is "not found", exactly like an id that does not exist (so is a malformed
// one: the contract answers a bad path id with 404).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { reachCompany } from '../../api-clients/index.ts';
import { apiClientSelf, apiCompanyUsers, companyParams } from '../../contract/api-v1.ts';
import type { OidcService } from '../../modules/index.ts';
import { listUsersOfCompany } from '../../users/index.ts';
import { apiActorOf, apiClientGuard } from '../api-client-guard.ts';
import type { HttpContext } from '../context.ts';
import { iso } from '../presenters.ts';

const TAG = 'API v1 (API clients)';

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
      const api = scope.withTypeProvider<ZodTypeProvider>();

      api.get('/client', { config: { scope: null }, schema: { summary: 'The API client this token belongs to', response: { 200: apiClientSelf } } }, async (request) => {
        const actor = apiActorOf(request);
        return { client: { clientId: actor.clientId, name: actor.name, companyId: actor.companyId, scopes: actor.scopes } };
      });

      api.get(
        '/companies/:companyId/users',
        { config: { scope: 'users:read' }, schema: { summary: "A company's users", params: companyParams, response: { 200: apiCompanyUsers } } },
        async (request) => {
          const companyId = await reachCompany(deps.db, apiActorOf(request), request.params.companyId);
          const users = await listUsersOfCompany(deps.db, companyId, deps.clock());
          return {
            users: users.map((user) => ({
              id: user.id,
              username: user.username,
              displayName: user.displayName,
              email: user.email,
              role: user.role,
              status: user.status,
              locked: user.locked,
              createdAt: iso(user.createdAt),
              lastLoginAt: iso(user.lastLoginAt),
            })),
          };
        },
      );
    },
    { prefix: '/api/v1' },
  );
}
