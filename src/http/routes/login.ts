// The identifier-first login over JSON. The flow cookie carries the flow until the
// password is proved (sealed, src/login/pending-flow.ts), then names the stored flow; the
// session cookie is minted only when the second factor is done.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  abandonFlow,
  checkPassword,
  checkRecoveryCode,
  checkTotp,
  currentStep,
  finishEnrollment,
  identify,
  proveEnrollmentCode,
  sendEnrollmentCode,
  startEnrollment,
} from '../../login/index.ts';
import { done } from '../../contract/common.ts';
import { GatehouseError } from '../../errors.ts';
import {
  codeBody,
  enrollmentCodeSent,
  enrollmentDone,
  enrollmentStart,
  identifyBody,
  loginDone,
  loginState,
  passwordBody,
  recoveryCodeBody,
} from '../../contract/sign-in.ts';
import { logOut } from '../../users/index.ts';
import { forAudience } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { clearCookie, readCookie, readFlowCookie, setFlowCookie } from '../cookies.ts';
import { requestMeta } from '../guards.ts';
import { setSignedIn } from '../signed-in-answer.ts';


export function loginRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps, cookies } = ctx;
  const secure = deps.config.secureCookies;
  const flowOf = (request: FastifyRequest) => readFlowCookie(request, cookies.flow);

  /**
   * The login moved on past a proof without a session yet (the policy wants a key added):
   * its flow was renamed (src/login/flows.ts moveFlowPastProof), and the answer sets the
   * flow cookie to the new name; the old one names nothing any more.
   */
  function movedOn<T extends { flowToken: string }>(reply: FastifyReply, { flowToken, ...answer }: T): Omit<T, 'flowToken'> {
    setFlowCookie(reply, secure, cookies.flow, flowToken);
    return answer;
  }

  forAudience(app, ctx, 'public', 'Login', (api) => {
    api.get('/api/login', { schema: { summary: 'Where the current login stands', response: { 200: loginState } } }, async (request) =>
      currentStep(deps, flowOf(request)),
    );

    api.post(
      '/api/login/identify',
      { schema: { summary: 'Step 1: Username and Company Name', body: identifyBody, response: { 200: loginState } } },
      async (request, reply) => {
        await abandonFlow(deps, flowOf(request));
        const { flowToken, ...answer } = await identify(deps, request.body, requestMeta(request));
        setFlowCookie(reply, secure, cookies.flow, flowToken);
        return answer;
      },
    );

    api.post(
      '/api/login/password',
      { schema: { summary: 'Step 2: the password', body: passwordBody, response: { 200: loginState } } },
      async (request, reply) => {
        try {
          const { flowToken, ...answer } = await checkPassword(deps, flowOf(request), request.body.password, requestMeta(request));
          // The flow is stored now under a new name (src/login/pending-flow.ts), or, stored
          // already ("Use password instead"), renamed past the password (src/login/flows.ts).
          setFlowCookie(reply, secure, cookies.flow, flowToken);
          return answer;
        } catch (error) {
          // The flow ends here: a stored one is deleted, a pending one (only in the cookie) dropped.
          if (error instanceof GatehouseError && error.code === 'login.ip_not_allowed') clearCookie(reply, secure, cookies.flow);
          throw error;
        }
      },
    );

    api.post(
      '/api/login/totp',
      { schema: { summary: 'Step 3: the authenticator code; sets the session cookie', body: codeBody, response: { 200: loginDone } } },
      async (request, reply) => {
        const result = await checkTotp(deps, flowOf(request), request.body.code, requestMeta(request));
        // The company's policy may want a passkey or security key added before the login ends.
        if (!('sessionToken' in result)) return movedOn(reply, result);
        return setSignedIn(deps, cookies, request, reply, result);
      },
    );

    api.post(
      '/api/login/recovery',
      { schema: { summary: 'Step 3 with a recovery code instead', body: recoveryCodeBody, response: { 200: loginDone } } },
      async (request, reply) => {
        const result = await checkRecoveryCode(deps, flowOf(request), request.body.code, requestMeta(request));
        // The company's policy may want a passkey or security key added before the login ends.
        if (!('sessionToken' in result)) return movedOn(reply, result);
        return setSignedIn(deps, cookies, request, reply, result);
      },
    );

    api.post(
      '/api/login/enroll/mail-code',
      {
        schema: {
          summary: 'After a 2FA reset by someone else: mails the user the code that lets this login set up 2FA again',
          response: { 200: enrollmentCodeSent },
        },
      },
      async (request) => sendEnrollmentCode(deps, flowOf(request), requestMeta(request)),
    );

    api.post(
      '/api/login/enroll/mail-code/verify',
      { schema: { summary: 'The mailed code; the login goes on to setting up 2FA', body: codeBody, response: { 200: loginState } } },
      async (request, reply) => movedOn(reply, await proveEnrollmentCode(deps, flowOf(request), request.body.code, requestMeta(request))),
    );

    api.post(
      '/api/login/enroll/start',
      { schema: { summary: 'First login: the QR code and secret for the authenticator app', response: { 200: enrollmentStart } } },
      async (request) => startEnrollment(deps, flowOf(request)),
    );

    api.post(
      '/api/login/enroll/verify',
      {
        schema: {
          summary: "First login: the app's first code; answers the recovery codes, shown this once",
          body: codeBody,
          response: { 200: enrollmentDone },
        },
      },
      async (request, reply) => {
        const result = await finishEnrollment(deps, flowOf(request), request.body.code, requestMeta(request));
        // The company's policy may want a passkey or security key added before the login ends.
        if (!('sessionToken' in result)) return movedOn(reply, result);
        // Shown this once, for the Success dialog to display and offer as a download.
        return { ...(await setSignedIn(deps, cookies, request, reply, result)), recoveryCodes: result.recoveryCodes };
      },
    );

    api.post('/api/login/restart', { schema: { summary: 'Start the login again', response: { 200: loginState } } }, async (request, reply) => {
      await abandonFlow(deps, flowOf(request));
      clearCookie(reply, secure, cookies.flow);
      return { step: 'identify' as const };
    });

    api.post('/api/logout', { schema: { summary: 'Log Out: ends this session', response: { 200: done } } }, async (request, reply) => {
      const token = readCookie(request, cookies.session);
      if (token) await logOut(deps.db, token, deps.clock(), requestMeta(request));
      clearCookie(reply, secure, cookies.session);
      clearCookie(reply, secure, cookies.proof);
      // Log Out ends what the browser holds: a login under way in another tab too (past its
      // password, it would sign in again with a code alone).
      await abandonFlow(deps, flowOf(request));
      clearCookie(reply, secure, cookies.flow);
      return {};
    });
  });
}
