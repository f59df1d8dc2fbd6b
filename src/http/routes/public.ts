// Public routes: requesting a company account, and the Sign Up link's password page.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { submitAccountRequest } from '../../companies/index.ts';
import { completeSignup, describeSignupLink } from '../../users/index.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta } from '../guards.ts';
import { email, multilineText, name, parseInput, password, phone } from '../validate.ts';

export const accountRequestSchema = z.object({
  companyName: name('Company Name', 100, 2),
  contactName: name('Contact Name', 100),
  email,
  phone,
  note: multilineText('Note', 2000),
});

const signupSchema = z.object({
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'This link is not valid.'),
  password: password(),
  confirm: password('Confirm Password'),
});

const tokenParam = z.object({ token: z.string().max(100) });

export function publicRoutes(app: FastifyInstance, { deps }: HttpContext) {
  app.post('/api/account-requests', async (request, reply) => {
    const input = parseInput(accountRequestSchema, request.body);
    const created = await submitAccountRequest(deps.db, input, 'public', deps.clock());
    return reply.status(201).send({ id: created.id, status: created.status });
  });

  app.get('/api/signup/:token', async (request) => {
    const { token } = parseInput(tokenParam, request.params);
    const link = await describeSignupLink(deps, token);
    return { ...link, expiresAt: new Date(link.expiresAt).toISOString() };
  });

  app.post('/api/signup', async (request) => {
    const input = parseInput(signupSchema, request.body);
    await completeSignup(deps, input, requestMeta(request));
    return { next: '/login' };
  });
}
