// Routes for any signed-in user.
import type { FastifyInstance } from 'fastify';
import { me } from '../../contract/my-account.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { iso } from '../presenters.ts';

export function portalRoutes(app: FastifyInstance, ctx: HttpContext) {
  forAudience(app, ctx, 'user', 'My account', (api) => {
    api.get('/api/me', { schema: { summary: 'Who is signed in, in which company, and how', response: { 200: me } } }, async (request) => {
      const signedIn = signedInOf(request);
      return {
        user: {
          id: signedIn.userId,
          username: signedIn.username,
          displayName: signedIn.displayName,
          email: signedIn.email,
          role: signedIn.role,
          isOperator: signedIn.isOperator,
        },
        company: { id: signedIn.companyId, name: signedIn.companyName, status: signedIn.companyStatus },
        session: {
          authTime: iso(signedIn.authTime),
          amr: signedIn.amr,
          idleMinutes: signedIn.idleMinutes,
          endsAt: iso(signedIn.endsAt),
          secondsLeft: Math.max(0, Math.floor((signedIn.endsAt - ctx.deps.clock()) / 1000)),
        },
      };
    });
  });
}
