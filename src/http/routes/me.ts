// My Settings: a signed-in user's own profile, email, password, 2FA and sessions. The
// user and company come from the session only.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  changePassword,
  cancelEmailChange,
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
import { assertThat } from '../../errors.ts';
import type { HttpContext } from '../context.ts';
import { clearCookie, setCookie } from '../cookies.ts';
import { requestMeta, requireSignedIn } from '../guards.ts';
import { email, name, parseInput, password, totpCode } from '../validate.ts';

const profileSchema = z.object({ displayName: name('Display name', 100) });
const emailSchema = z.object({ email, password: password() });
const linkSchema = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'This link is not valid.') });
const passwordSchema = z.object({
  currentPassword: password('Current password'),
  newPassword: password('New password'),
  confirm: password('Confirm Password'),
});
const twoFactorResetSchema = z.object({ password: password(), code: totpCode });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function meRoutes(app: FastifyInstance, { deps, cookies }: HttpContext) {
  const secure = deps.config.secureCookies;
  const signedIn = (request: FastifyRequest, reply: FastifyReply) => requireSignedIn(deps, cookies, request, reply);
  const profileAnswer = (profile: Awaited<ReturnType<typeof getProfile>>) => ({
    ...profile,
    twoFactorEnrolledAt: iso(profile.twoFactorEnrolledAt),
  });

  app.get('/api/me/profile', async (request, reply) => profileAnswer(await getProfile(deps, await signedIn(request, reply))));

  app.post('/api/me/profile', async (request, reply) => {
    const me = await signedIn(request, reply);
    const input = parseInput(profileSchema, request.body);
    return profileAnswer(await updateProfile(deps, me, input, requestMeta(request)));
  });

  app.post('/api/me/email', async (request, reply) => {
    const me = await signedIn(request, reply);
    const input = parseInput(emailSchema, request.body);
    const pending = await requestEmailChange(deps, me, input, requestMeta(request));
    return { pendingEmail: pending.pendingEmail, expiresAt: iso(pending.expiresAt) };
  });

  // The link's page: it may be opened in a browser that is not signed in.
  app.post('/api/me/email/confirm', async (request) => {
    const { token } = parseInput(linkSchema, request.body);
    return confirmEmailChange(deps, token, requestMeta(request));
  });

  // The old address's link (in "Your Gatehouse email address is being changed"): no session either.
  app.post('/api/me/email/cancel', async (request) => {
    const { token } = parseInput(linkSchema, request.body);
    return cancelEmailChange(deps, token, requestMeta(request));
  });

  app.post('/api/me/password', async (request, reply) => {
    const me = await signedIn(request, reply);
    const input = parseInput(passwordSchema, request.body);
    const kept = await changePassword(deps, me, input, requestMeta(request));
    const maxAgeSeconds = Math.max(1, Math.floor((kept.expiresAt - deps.clock()) / 1000));
    setCookie(reply, secure, cookies.session, kept.sessionToken, maxAgeSeconds);
    return { otherSessionsEnded: true };
  });

  app.post('/api/me/two-factor/reset', async (request, reply) => {
    const me = await signedIn(request, reply);
    const input = parseInput(twoFactorResetSchema, request.body);
    await resetOwnTwoFactor(deps, me, input, requestMeta(request));
    clearCookie(reply, secure, cookies.session);
    return { next: '/login' };
  });

  app.get('/api/me/sessions', async (request, reply) => {
    const sessions = await listMySessions(deps, await signedIn(request, reply));
    return { sessions: sessions.map((s) => ({ ...s, createdAt: iso(s.createdAt), lastSeenAt: iso(s.lastSeenAt) })) };
  });

  app.post('/api/me/sessions/revoke-all', async (request, reply) => {
    const me = await signedIn(request, reply);
    await signOutEverywhere(deps, me, requestMeta(request));
    clearCookie(reply, secure, cookies.session);
    return { next: '/login' };
  });

  app.post('/api/me/sessions/:handle/revoke', async (request, reply) => {
    const me = await signedIn(request, reply);
    const { handle } = request.params as { handle: string };
    // A malformed handle is as unknown as someone else's: the same 404.
    assertThat(SESSION_HANDLE_PATTERN.test(handle), 'request.not_found');
    const ended = await revokeMySession(deps, me, handle, requestMeta(request));
    if (ended.current) clearCookie(reply, secure, cookies.session);
    return { signedOut: ended.current };
  });
}
