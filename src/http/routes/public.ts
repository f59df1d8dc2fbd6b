// Public routes: requesting a company account, and the Sign Up link's password page.
import type { FastifyInstance } from 'fastify';
import { accountRequestCap, submitAccountRequest } from '../../companies/index.ts';
import { accountRequestBody, accountRequestCreated, newPasswordBody, nextPage, signupLink } from '../../contract/sign-in.ts';
import { tokenParams } from '../../contract/common.ts';
import { idempotencyHeaders } from '../../contract/api-v1.ts';
import { clientNetwork } from '../../shared/client-network.ts';
import { completeSignup, describeSignupLink } from '../../users/index.ts';
import { forAudience } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta } from '../guards.ts';
import { idempotentCreates } from '../idempotent-creates.ts';
import { iso } from '../presenters.ts';

export function publicRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  const idempotent = idempotentCreates(deps, () => ({ publicForm: 'account-request' }));
  forAudience(app, ctx, 'public', 'Getting an account', (api) => {
    api.post(
      '/api/account-requests',
      {
        schema: {
          summary: 'Ask for a company account; takes an Idempotency-Key',
          headers: idempotencyHeaders,
          body: accountRequestBody,
          response: { 201: accountRequestCreated },
        },
      },
      async (request, reply) =>
        // A retry after a lost answer, with its key, is answered the request it made; the
        // network's cap below is spent only by a request that runs.
        idempotent(request, reply, async () => {
          // Anyone may ask, so each client network may ask only so often: the operator's queue
          // is not a place a script can fill, nor the form a free oracle of which company
          // names are taken (a refused request counts like an accepted one: requests.ts).
          const cap = accountRequestCap(clientNetwork(requestMeta(request).ip), deps.config.accountRequestsPerHour);
          const created = await submitAccountRequest(deps.db, request.body, 'public', deps.clock(), cap);
          return { status: 201, body: { id: created.id, status: created.status } };
        }),
    );

    api.get(
      '/api/signup/:token',
      { schema: { summary: "What a Sign Up link's page shows", params: tokenParams, response: { 200: signupLink } } },
      async (request) => {
        const link = await describeSignupLink(deps, request.params.token);
        return { ...link, expiresAt: iso(link.expiresAt) };
      },
    );

    api.post(
      '/api/signup',
      { schema: { summary: "Set the Root Master's or an invited user's first password", body: newPasswordBody, response: { 200: nextPage } } },
      async (request) => {
        await completeSignup(deps, request.body, requestMeta(request));
        return { next: '/login' };
      },
    );
  });
}
