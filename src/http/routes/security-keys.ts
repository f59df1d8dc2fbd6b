// Passkeys and security keys: a signed-in user's own keys (My Settings), and the login
// steps that use one (at the code step, and "Log in with a passkey").
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { done, idParams } from '../../contract/common.ts';
import { loginDone } from '../../contract/sign-in.ts';
import {
  creationOptions,
  keyAnswer,
  keyEnrolled,
  KEY_REGISTRATION_BODY_LIMIT,
  keyRegistrationFinish,
  keyRegistrationStart,
  keyRemoval,
  keyRename,
  passkeyLoginStart,
  requestOptions,
  securityKey,
  securityKeys,
} from '../../contract/security-keys.ts';
import { checkSecondFactorKey, finishKeyEnrollment, finishPasskeyLogin, keyChallengeForSecondFactor, startKeyEnrollment, startPasskeyLogin } from '../../login/index.ts';
import { finishKeyRegistration, listMyKeys, removeMyKey, renameMyKey, startKeyRegistration } from '../../webauthn/index.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { readFlowCookie, setFlowCookie } from '../cookies.ts';
import { requestMeta } from '../guards.ts';
import { setSignedIn } from '../signed-in-answer.ts';
import { iso } from '../presenters.ts';

type KeyView = Awaited<ReturnType<typeof listMyKeys>>[number];
const isoOrNull = (at: number | null) => (at === null ? null : iso(at));
const keyJson = (key: KeyView) => ({ ...key, createdAt: iso(key.createdAt), lastUsedAt: isoOrNull(key.lastUsedAt), switchedOffAt: isoOrNull(key.switchedOffAt) });

export function securityKeyRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps, cookies } = ctx;
  const secure = deps.config.secureCookies;
  const flowOf = (request: FastifyRequest) => readFlowCookie(request, cookies.flow);

  forAudience(app, ctx, 'public', 'Login', (api) => {
    api.post(
      '/api/login/key/options',
      { schema: { summary: 'Step 3 with a passkey or security key: the challenge for this login', response: { 200: requestOptions } } },
      async (request) => ({ ...(await keyChallengeForSecondFactor(deps, flowOf(request))) }),
    );
    api.post(
      '/api/login/key',
      { schema: { summary: "Step 3 with a passkey or security key: the key's answer; sets the session cookie", body: keyAnswer, response: { 200: loginDone } } },
      async (request, reply) => setSignedIn(deps, cookies, request, reply, await checkSecondFactorKey(deps, flowOf(request), request.body.response, requestMeta(request))),
    );
    api.post(
      '/api/login/key-enrollment/options',
      { schema: { summary: 'Add a passkey or security key during login (first-login enrollment, or the company requires one): the options for the browser', response: { 200: creationOptions } } },
      async (request) => ({ ...(await startKeyEnrollment(deps, flowOf(request))) }),
    );
    api.post(
      '/api/login/key-enrollment',
      { bodyLimit: KEY_REGISTRATION_BODY_LIMIT, schema: { summary: "Add a passkey or security key during login: the browser's answer; the key then signs in at the code step", body: keyRegistrationFinish, response: { 200: keyEnrolled } } },
      async (request) => finishKeyEnrollment(deps, flowOf(request), request.body, requestMeta(request)),
    );
    api.post(
      '/api/login/passkey/options',
      { schema: { summary: 'Log in with a passkey: a new login and its challenge', body: passkeyLoginStart, response: { 200: requestOptions } } },
      async (request, reply) => {
        const { flowToken, options } = await startPasskeyLogin(deps, request.body, requestMeta(request));
        setFlowCookie(reply, secure, cookies.flow, flowToken);
        return { ...options };
      },
    );
    api.post(
      '/api/login/passkey',
      { schema: { summary: "Log in with a passkey: the passkey's answer names the user and company; sets the session cookie", body: keyAnswer, response: { 200: loginDone } } },
      async (request, reply) => setSignedIn(deps, cookies, request, reply, await finishPasskeyLogin(deps, flowOf(request), request.body.response, requestMeta(request))),
    );
  });

  forAudience(app, ctx, 'user', 'My account', (api) => {
    api.get('/api/me/security-keys', { schema: { summary: 'My passkeys and security keys', response: { 200: securityKeys } } }, async (request) => ({
      keys: (await listMyKeys(deps, signedInOf(request))).map(keyJson),
    }));
    api.post(
      '/api/me/security-keys/options',
      // A key signs in by itself, without the app's code, and outlives a password change:
      // planting one needs the proof a sensitive change needs (step-up, audiences.ts), not
      // the password alone, or a cookie and a phished password would skip the second factor.
      { config: { sensitive: true }, schema: { summary: 'Add a passkey or security key: my password, then the options for the browser', body: keyRegistrationStart, response: { 200: creationOptions } } },
      async (request) => ({ ...(await startKeyRegistration(deps, signedInOf(request), request.body.password, requestMeta(request))) }),
    );
    api.post(
      '/api/me/security-keys',
      // Where the key is written, the proof must still be fresh too: the options live a few
      // minutes (the challenge's lifetime), and a key planted with a proof grown old in
      // between would outlast the window the options were checked against.
      { bodyLimit: KEY_REGISTRATION_BODY_LIMIT, config: { sensitive: true }, schema: { summary: "Add a passkey or security key: the browser's answer", body: keyRegistrationFinish, response: { 200: securityKey } } },
      async (request) => keyJson(await finishKeyRegistration(deps, signedInOf(request), request.body, requestMeta(request))),
    );
    api.post(
      '/api/me/security-keys/:id/rename',
      { schema: { summary: 'Rename one of my keys', params: idParams, body: keyRename, response: { 200: securityKey } } },
      async (request) => keyJson(await renameMyKey(deps, signedInOf(request), request.params.id, request.body.name, requestMeta(request))),
    );
    api.post(
      '/api/me/security-keys/:id/remove',
      // Taking a key away is as sensitive as planting one: under a phishing-resistant policy
      // the key is what makes the app's code not enough (login and step-up alike), so a
      // borrowed cookie with the password alone must not remove it and let a phished code in.
      { config: { sensitive: true }, schema: { summary: 'Remove one of my keys (not my last way in): my password, as to add one', params: idParams, body: keyRemoval, response: { 200: done } } },
      async (request) => {
        await removeMyKey(deps, signedInOf(request), request.params.id, request.body.password, requestMeta(request));
        return {};
      },
    );
  });
}
