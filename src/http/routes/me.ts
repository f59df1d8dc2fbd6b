// My Settings: a signed-in user's own profile, email, password, 2FA and sessions. The
// user and company come from the session only.
import type { FastifyInstance } from 'fastify';
import { nextPage } from '../../contract/common.ts';
import {
  emailChangeBody,
  emailChangeCancelled,
  emailChangePending,
  emailConfirmed,
  emailLinkBody,
  mySessions,
  ownResetProof,
  reauthProof,
  reauthProved,
  passwordChangeBody,
  passwordChanged,
  profile,
  profileBody,
  sessionParams,
  sessionRevoked,
} from '../../contract/my-account.ts';
import { requestOptions } from '../../contract/security-keys.ts';
import { assertThat } from '../../errors.ts';
import { proveSession, reauthKeyOptions } from '../../login/index.ts';
import {
  cancelEmailChange,
  changePassword,
  confirmEmailChange,
  getProfile,
  listMySessions,
  requestEmailChange,
  resetOwnTwoFactor,
  revokeMySession,
  SESSION_HANDLE_PATTERN,
  signOutEverywhere,
  updateProfile,
} from '../../users/index.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { clearCookie, setCookie } from '../cookies.ts';
import { requestMeta } from '../guards.ts';
import { STEP_UP_PROOF_KEY, stepUpProofValue } from '../../sessions/index.ts';
import { iso, sessionView } from '../presenters.ts';

const profileView = (shown: Awaited<ReturnType<typeof getProfile>>) => ({ ...shown, twoFactorEnrolledAt: iso(shown.twoFactorEnrolledAt) });

export function meRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps, cookies } = ctx;
  const secure = deps.config.secureCookies;

  // The emailed links' pages: they may be opened in a browser that is not signed in.
  forAudience(app, ctx, 'public', 'My account', (api) => {
    api.post(
      '/api/me/email/confirm',
      { schema: { summary: 'Confirm a new email address (the link sent to it)', body: emailLinkBody, response: { 200: emailConfirmed } } },
      async (request) => confirmEmailChange(deps, request.body.token, requestMeta(request)),
    );
    // The old address's link (in "Your Gatehouse email address is being changed").
    api.post(
      '/api/me/email/cancel',
      { schema: { summary: 'Stop an email change (the link sent to the old address)', body: emailLinkBody, response: { 200: emailChangeCancelled } } },
      async (request) => cancelEmailChange(deps, request.body.token, requestMeta(request)),
    );
  });

  forAudience(app, ctx, 'user', 'My account', (api) => {
    api.get('/api/me/profile', { schema: { summary: 'My profile', response: { 200: profile } } }, async (request) =>
      profileView(await getProfile(deps, signedInOf(request))),
    );

    api.post(
      '/api/me/profile',
      { schema: { summary: 'Change my display name', body: profileBody, response: { 200: profile } } },
      async (request) => profileView(await updateProfile(deps, signedInOf(request), request.body, requestMeta(request))),
    );

    api.post(
      '/api/me/email',
      { schema: { summary: 'Change my email address (confirmed by a link)', body: emailChangeBody, response: { 200: emailChangePending } } },
      async (request) => {
        const pending = await requestEmailChange(deps, signedInOf(request), request.body, requestMeta(request));
        return { pendingEmail: pending.pendingEmail, expiresAt: pending.expiresAt === null ? null : iso(pending.expiresAt) };
      },
    );

    api.post(
      '/api/me/password',
      { schema: { summary: 'Change my password; my other sessions end', body: passwordChangeBody, response: { 200: passwordChanged } } },
      async (request, reply) => {
        const kept = await changePassword(deps, signedInOf(request), request.body, requestMeta(request));
        const maxAgeSeconds = Math.max(1, Math.floor((kept.expiresAt - deps.clock()) / 1000));
        setCookie(reply, secure, cookies.session, kept.sessionToken, maxAgeSeconds);
        return { otherSessionsEnded: true };
      },
    );

    api.post(
      '/api/me/reauth/key-options',
      { schema: { summary: 'Confirm it is me with a passkey or security key: the challenge, bound to this session', response: { 200: requestOptions } } },
      async (request) => ({ ...(await reauthKeyOptions(deps, signedInOf(request))) }),
    );

    // Step-up: a session that proved it is its user (password and code, or a key) may make
    // sensitive changes (routes marked `sensitive`) for 10 minutes (docs/SECURITY.md).
    api.post(
      '/api/me/reauth',
      { schema: { summary: 'Confirm it is me before a sensitive change (valid 10 minutes on this session)', body: reauthProof, response: { 200: reauthProved } } },
      async (request, reply) => {
        const me = signedInOf(request);
        const { provedAt, provedUntil } = await proveSession(deps, me, request.body, requestMeta(request));
        // The proof is this browser's (src/sessions/step-up-proof.ts): a copy of the session
        // cookie taken before it does not carry it.
        setCookie(reply, secure, cookies.proof, stepUpProofValue(deps.deriveKey(STEP_UP_PROOF_KEY), { ...me, provedAt }), (provedUntil - provedAt) / 1000);
        return { provedUntil: iso(provedUntil) };
      },
    );

    api.post(
      '/api/me/two-factor/reset',
      { schema: { summary: 'Reset my own 2FA (with the app, a key, or a recovery code: a phone lost): I set it up again at the next login', body: ownResetProof, response: { 200: nextPage } } },
      async (request, reply) => {
        await resetOwnTwoFactor(deps, signedInOf(request), request.body, requestMeta(request));
        clearCookie(reply, secure, cookies.session);
        return { next: '/login' };
      },
    );

    api.get('/api/me/sessions', { schema: { summary: 'My sessions', response: { 200: mySessions } } }, async (request) => {
      const sessions = await listMySessions(deps, signedInOf(request));
      return { sessions: sessions.map(sessionView) };
    });

    api.post(
      '/api/me/sessions/revoke-all',
      { schema: { summary: 'Sign out everywhere (module sign-ins too)', response: { 200: nextPage } } },
      async (request, reply) => {
        await signOutEverywhere(deps, signedInOf(request), requestMeta(request));
        clearCookie(reply, secure, cookies.session);
        return { next: '/login' };
      },
    );

    api.post(
      '/api/me/sessions/:handle/revoke',
      { schema: { summary: 'End one of my sessions', params: sessionParams, response: { 200: sessionRevoked } } },
      async (request, reply) => {
        const { handle } = request.params;
        // A malformed handle is as unknown as someone else's: the same 404.
        assertThat(SESSION_HANDLE_PATTERN.test(handle), 'request.not_found');
        const ended = await revokeMySession(deps, signedInOf(request), handle, requestMeta(request));
        if (ended.current) clearCookie(reply, secure, cookies.session);
        return { signedOut: ended.current };
      },
    );
  });
}
