// My Settings: recovery codes. How many are left (never the codes), and a new set of ten
// after the password and a current authenticator code, shown this once.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RECOVERY_CODE_COUNT } from '../../credentials/index.ts';
import { recoveryCodesLeft, regenerateRecoveryCodes } from '../../login/index.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta, requireSignedIn } from '../guards.ts';
import { parseInput, password, totpCode } from '../validate.ts';

const regenerateSchema = z.object({ password: password(), code: totpCode });

export function recoveryCodeRoutes(app: FastifyInstance, { deps, cookies }: HttpContext) {
  app.get('/api/me/recovery-codes', async (request, reply) => {
    const me = await requireSignedIn(deps, cookies, request, reply);
    const status = await recoveryCodesLeft(deps, me);
    return {
      remaining: status.remaining,
      total: RECOVERY_CODE_COUNT,
      generatedAt: status.generatedAt === null ? null : new Date(status.generatedAt).toISOString(),
    };
  });

  app.post('/api/me/recovery-codes', async (request, reply) => {
    const me = await requireSignedIn(deps, cookies, request, reply);
    const input = parseInput(regenerateSchema, request.body);
    return { recoveryCodes: await regenerateRecoveryCodes(deps, me, input, requestMeta(request)) };
  });
}
