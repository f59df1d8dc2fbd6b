// Account recovery before login: forgot password (email link, then a new password) and
// forgot company name. The two requests answer the same, in about the same time,
// whether or not anything matched; neither sets a cookie.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { completePasswordReset, describePasswordReset, requestPasswordReset, sendCompanyNames } from '../../users/index.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta } from '../guards.ts';
import { email, parseInput, password, text } from '../validate.ts';

export const FORGOT_PASSWORD_ANSWER = {
  message: 'If the account exists, we sent an email with a link to reset the password. The link expires in 1 hour.',
};
export const FORGOT_COMPANY_ANSWER = {
  message: 'If this address belongs to a Gatehouse user, we sent it the names of the companies it can log in to.',
};
/**
 * The answer waits at least this long: queueing a mail costs a few writes more than
 * finding nothing, and the response time must not tell the two apart.
 */
const ANSWER_FLOOR_MS = 250;

const forgotPasswordSchema = z.object({ username: text('Username', 100), companyName: text('Company Name', 100) });
const forgotCompanySchema = z.object({ email });
const resetSchema = z.object({
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'This link is not valid.'),
  password: password(),
  confirm: password('Confirm Password'),
});
const tokenParam = z.object({ token: z.string().max(100) });

async function withFloor(work: () => Promise<void>): Promise<void> {
  const floor = new Promise((resolve) => setTimeout(resolve, ANSWER_FLOOR_MS));
  try {
    await work();
  } finally {
    await floor;
  }
}

export function recoveryRoutes(app: FastifyInstance, { deps }: HttpContext) {
  app.post('/api/login/forgot-password', async (request) => {
    const input = parseInput(forgotPasswordSchema, request.body);
    await withFloor(() => requestPasswordReset(deps, input, requestMeta(request)));
    return FORGOT_PASSWORD_ANSWER;
  });

  app.post('/api/login/forgot-company', async (request) => {
    const input = parseInput(forgotCompanySchema, request.body);
    await withFloor(() => sendCompanyNames(deps, input.email, requestMeta(request)));
    return FORGOT_COMPANY_ANSWER;
  });

  app.get('/api/password-reset/:token', async (request) => {
    const { token } = parseInput(tokenParam, request.params);
    const link = await describePasswordReset(deps, token);
    return { ...link, expiresAt: new Date(link.expiresAt).toISOString() };
  });

  app.post('/api/password-reset', async (request) => {
    const input = parseInput(resetSchema, request.body);
    await completePasswordReset(deps, input, requestMeta(request));
    return { next: '/login' };
  });
}
