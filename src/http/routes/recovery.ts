// Account recovery before login: forgot password (email link, then a new password) and
// forgot company name. The two requests answer the same, in about the same time,
// whether or not anything matched; neither sets a cookie.
import type { FastifyInstance } from 'fastify';
import { tokenParams } from '../../contract/common.ts';
import { forgotCompanyBody, forgotPasswordBody, newPasswordBody, nextPage, passwordResetLink, sameAnswer } from '../../contract/sign-in.ts';
import { withFloor } from '../../shared/answer-floor.ts';
import { completePasswordReset, describePasswordReset, requestPasswordReset, sendCompanyNames } from '../../users/index.ts';
import { forAudience } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta } from '../guards.ts';
import { iso } from '../presenters.ts';

export const FORGOT_PASSWORD_ANSWER = {
  message: 'If the account exists, we sent an email with a link to reset the password. The link expires in 1 hour.',
};
export const FORGOT_COMPANY_ANSWER = {
  message: 'If this address belongs to a Gatehouse user, we sent it the names of the companies it can log in to.',
};

/**
 * Both answers wait the answer floor (deps.answerFloorMs): queueing a mail costs a few
 * writes more than finding nothing, and the time must not tell the two apart.
 */
export function recoveryRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  forAudience(app, ctx, 'public', 'Login', (api) => {
    api.post(
      '/api/login/forgot-password',
      { schema: { summary: 'Forgot password: mails a reset link if the account exists', body: forgotPasswordBody, response: { 200: sameAnswer } } },
      async (request) => {
        await withFloor(deps.answerFloorMs, () => requestPasswordReset(deps, request.body, requestMeta(request)));
        return FORGOT_PASSWORD_ANSWER;
      },
    );

    api.post(
      '/api/login/forgot-company',
      { schema: { summary: "Forgot company name: mails the address's company names", body: forgotCompanyBody, response: { 200: sameAnswer } } },
      async (request) => {
        await withFloor(deps.answerFloorMs, () => sendCompanyNames(deps, request.body.email, requestMeta(request)));
        return FORGOT_COMPANY_ANSWER;
      },
    );

    api.get(
      '/api/password-reset/:token',
      { schema: { summary: "What a reset link's page shows", params: tokenParams, response: { 200: passwordResetLink } } },
      async (request) => {
        const link = await describePasswordReset(deps, request.params.token);
        return { ...link, expiresAt: iso(link.expiresAt) };
      },
    );

    api.post(
      '/api/password-reset',
      { schema: { summary: 'Set a new password from a reset link', body: newPasswordBody, response: { 200: nextPage } } },
      async (request) => {
        await completePasswordReset(deps, request.body, requestMeta(request));
        return { next: '/login' };
      },
    );
  });
}
