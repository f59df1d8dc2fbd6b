// My Settings: recovery codes. How many are left (never the codes), and a new set of ten
// after the password and a current authenticator code, shown this once.
import type { FastifyInstance } from 'fastify';
import { newRecoveryCodes, reauthProof, recoveryCodeStatus } from '../../contract/my-account.ts';
import { RECOVERY_CODE_COUNT } from '../../credentials/index.ts';
import { recoveryCodesLeft, regenerateRecoveryCodes } from '../../login/index.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta } from '../guards.ts';
import { iso } from '../presenters.ts';

export function recoveryCodeRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  forAudience(app, ctx, 'user', 'My account', (api) => {
    api.get(
      '/api/me/recovery-codes',
      { schema: { summary: 'How many recovery codes are left', response: { 200: recoveryCodeStatus } } },
      async (request) => {
        const status = await recoveryCodesLeft(deps, signedInOf(request));
        return { remaining: status.remaining, total: RECOVERY_CODE_COUNT, generatedAt: iso(status.generatedAt) };
      },
    );

    api.post(
      '/api/me/recovery-codes',
      { schema: { summary: 'Ten new recovery codes, shown this once (the old ones stop working)', body: reauthProof, response: { 200: newRecoveryCodes } } },
      async (request) => ({ recoveryCodes: await regenerateRecoveryCodes(deps, signedInOf(request), request.body, requestMeta(request)) }),
    );
  });
}
