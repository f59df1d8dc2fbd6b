// The one way a finished login sets its session, wherever it finished (the code step, a
// recovery code, enrollment, a passkey or security key, the identity provider's trusted
// MFA). A fresh session id at every login: the session cookie the browser came with ends,
// told as its kind of ending is (endReplacedSession: another person's is a Log Out, its
// modules told), and the login's flow cookie goes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps } from '../shared/deps.ts';
import { endReplacedSession } from '../users/index.ts';
import type { CookieNames } from './cookies.ts';
import { clearCookie, readCookie, setCookie } from './cookies.ts';
import { requestMeta } from './guards.ts';

export interface NewSession {
  sessionToken: string;
  sessionTtlMs: number;
}

/** Sets the new session's cookie, ending the one the browser came with; the answer is the login's last step (and where to go next). */
export async function setSignedIn<S extends string>(
  deps: CoreDeps,
  cookies: CookieNames,
  request: FastifyRequest,
  reply: FastifyReply,
  session: NewSession & { step: S; redirectTo: string | null },
): Promise<{ step: S; redirectTo?: string }> {
  const secure = deps.config.secureCookies;
  const old = readCookie(request, cookies.session);
  if (old && old !== session.sessionToken) await endReplacedSession(deps.db, old, session.sessionToken, deps.clock(), requestMeta(request));
  clearCookie(reply, secure, cookies.flow);
  setCookie(reply, secure, cookies.session, session.sessionToken, Math.floor(session.sessionTtlMs / 1000));
  return session.redirectTo ? { step: session.step, redirectTo: session.redirectTo } : { step: session.step };
}
