// Routes for any signed-in user.
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../context.ts';
import { requireSignedIn } from '../guards.ts';

export function portalRoutes(app: FastifyInstance, { deps, cookies }: HttpContext) {
  app.get('/api/me', async (request, reply) => {
    const me = await requireSignedIn(deps, cookies, request, reply);
    return {
      user: {
        id: me.userId,
        username: me.username,
        displayName: me.displayName,
        email: me.email,
        role: me.role,
        isOperator: me.isOperator,
      },
      company: { id: me.companyId, name: me.companyName, status: me.companyStatus },
      session: { authTime: new Date(me.authTime).toISOString(), amr: me.amr },
    };
  });
}
