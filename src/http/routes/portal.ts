// Routes for any signed-in user.
import type { FastifyInstance } from 'fastify';
import { me } from '../../contract/my-account.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { iso } from '../presenters.ts';

export function portalRoutes(app: FastifyInstance, ctx: HttpContext) {
  forAudience(app, ctx, 'user', 'My account', (api) => {
    api.get('/api/me', { schema: { summary: 'Who is signed in, in which company, and how; with X-Gatehouse-Look-Only, a look that is no use of the session', response: { 200: me } } }, async (request) => {
      const signedIn = signedInOf(request);
      const secondsUntil = (at: number) => Math.max(0, Math.floor((at - ctx.deps.clock()) / 1000));
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
          idleSecondsLeft: secondsUntil(signedIn.idleEndsAt),
          secondsLeft: secondsUntil(signedIn.endsAt),
        },
      };
    });
  });
}
