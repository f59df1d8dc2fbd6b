// The identifier-first login over JSON. The flow cookie names the server-side flow; the
// session cookie is minted only when the second factor is done.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  abandonFlow,
  checkPassword,
  checkRecoveryCode,
  checkTotp,
  currentStep,
  finishEnrollment,
  identify,
  startEnrollment,
} from '../../login/index.ts';
import { normalizeRecoveryCode } from '../../credentials/index.ts';
import { endSession } from '../../sessions/index.ts';
import { logOut } from '../../users/index.ts';
import type { HttpContext } from '../context.ts';
import { clearCookie, readCookie, setCookie } from '../cookies.ts';
import { requestMeta } from '../guards.ts';
import { parseInput, password, RETURN_TO_PATTERN, text, totpCode } from '../validate.ts';

const identifySchema = z.object({
  username: text('Username', 100),
  companyName: text('Company Name', 100),
  returnTo: z.string().regex(RETURN_TO_PATTERN, 'Not a place Gatehouse can return to.').optional(),
});
const doneAnswer = (result: { step: string; redirectTo: string | null }) =>
  result.redirectTo ? { step: result.step, redirectTo: result.redirectTo } : { step: result.step };
const passwordSchema = z.object({ password: password() });
const codeSchema = z.object({ code: totpCode });
const recoveryCodeSchema = z.object({
  code: z
    .string({ error: 'Enter one of your recovery codes.' })
    .max(64, 'Enter one of your recovery codes.')
    .refine((value) => normalizeRecoveryCode(value) !== undefined, 'A recovery code looks like abcd-efgh-23.'),
});

export function loginRoutes(app: FastifyInstance, { deps, cookies }: HttpContext) {
  const secure = deps.config.secureCookies;
  const flowOf = (request: { cookies: Record<string, string | undefined> }) =>
    readCookie(request as never, cookies.flow);

  async function signIn(reply: FastifyReply, session: { sessionToken: string; sessionTtlMs: number }, oldSession: string | undefined) {
    // A fresh session id at every login; whatever session cookie came in is ended.
    if (oldSession) await endSession(deps.db, oldSession);
    clearCookie(reply, secure, cookies.flow);
    setCookie(reply, secure, cookies.session, session.sessionToken, Math.floor(session.sessionTtlMs / 1000));
  }

  app.get('/api/login', async (request) => currentStep(deps, flowOf(request)));

  app.post('/api/login/identify', async (request, reply) => {
    const input = parseInput(identifySchema, request.body);
    await abandonFlow(deps.db, flowOf(request));
    const { flowToken, ...answer } = await identify(deps, input);
    setCookie(reply, secure, cookies.flow, flowToken, 15 * 60);
    return answer;
  });

  app.post('/api/login/password', async (request) => {
    const input = parseInput(passwordSchema, request.body);
    return checkPassword(deps, flowOf(request), input.password, requestMeta(request));
  });

  app.post('/api/login/totp', async (request, reply) => {
    const input = parseInput(codeSchema, request.body);
    const result = await checkTotp(deps, flowOf(request), input.code, requestMeta(request));
    await signIn(reply, result, readCookie(request, cookies.session));
    return doneAnswer(result);
  });

  app.post('/api/login/recovery', async (request, reply) => {
    const input = parseInput(recoveryCodeSchema, request.body);
    const result = await checkRecoveryCode(deps, flowOf(request), input.code, requestMeta(request));
    await signIn(reply, result, readCookie(request, cookies.session));
    return doneAnswer(result);
  });

  app.post('/api/login/enroll/start', async (request) => startEnrollment(deps, flowOf(request)));

  app.post('/api/login/enroll/verify', async (request, reply) => {
    const input = parseInput(codeSchema, request.body);
    const result = await finishEnrollment(deps, flowOf(request), input.code, requestMeta(request));
    await signIn(reply, result, readCookie(request, cookies.session));
    // Shown this once, for the Success dialog to display and offer as a download.
    return { ...doneAnswer(result), recoveryCodes: result.recoveryCodes };
  });

  app.post('/api/login/restart', async (request, reply) => {
    await abandonFlow(deps.db, flowOf(request));
    clearCookie(reply, secure, cookies.flow);
    return { step: 'identify' };
  });

  app.post('/api/logout', async (request, reply) => {
    const token = readCookie(request, cookies.session);
    if (token) await logOut(deps.db, token, deps.clock(), requestMeta(request));
    clearCookie(reply, secure, cookies.session);
    return {};
  });
}
