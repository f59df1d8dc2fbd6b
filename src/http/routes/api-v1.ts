// The versioned API for API clients (/api/v1), behind the API-client guard. Tenant data
// lives under /api/v1/companies/:companyId/...: a company's client names its own company
// (GET /api/v1/client tells it the id), a platform client any company; another
// company's id is "not found", exactly like an id that does not exist.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { reachCompany } from '../../api-clients/index.ts';
import { GatehouseError } from '../../errors.ts';
import { listUsersOfCompany, type UserSummary } from '../../users/index.ts';
import { apiActorOf } from '../api-client-guard.ts';
import type { HttpContext } from '../context.ts';

const companyParams = z.object({ companyId: z.uuid() });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A malformed id is as unknown as a missing one. */
function companyIdOf(params: unknown): string {
  const parsed = companyParams.safeParse(params);
  if (!parsed.success) throw new GatehouseError('request.not_found');
  return parsed.data.companyId;
}

function userView(user: UserSummary) {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    email: user.email,
    role: user.role,
    status: user.status,
    locked: user.locked,
    createdAt: iso(user.createdAt),
    lastLoginAt: iso(user.lastLoginAt),
  };
}

export function apiV1Routes(app: FastifyInstance, { deps }: HttpContext): void {
  app.get('/client', { config: { scope: null } }, async (request) => {
    const actor = apiActorOf(request);
    return { client: { clientId: actor.clientId, name: actor.name, companyId: actor.companyId, scopes: actor.scopes } };
  });

  app.get('/companies/:companyId/users', { config: { scope: 'users:read' } }, async (request) => {
    const companyId = await reachCompany(deps.db, apiActorOf(request), companyIdOf(request.params));
    const users = await listUsersOfCompany(deps.db, companyId, deps.clock());
    return { users: users.map(userView) };
  });
}
