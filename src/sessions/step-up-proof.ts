// A step-up proof (POST /api/me/reauth: password and code, or a key) belongs to the browser
// that gave it. It is stamped on the session's row, and the session cookie keeps its value,
// so without more a copy of that cookie taken before the proof (a shared machine, malware,
// a proxy's log) would make sensitive changes with it, having proved nothing. The answer to
// the proof therefore also sets a proof cookie: a keyed hash of the session's user, its
// login and the proof's time, which only the node's secret key derives, and which a proof
// made by step-up counts only with. A login's own proof needs none: the session cookie is
// new at the login, so a copy of it is a copy made since.
import { constantTimeEqual, keyedHash } from '../crypto/index.ts';
import type { SignedIn } from './index.ts';

/** The derived key's purpose (CoreDeps.deriveKey). */
export const STEP_UP_PROOF_KEY = 'step-up-proof';

type Proved = Pick<SignedIn, 'companyId' | 'userId' | 'authTime' | 'provedAt'>;

/** The proof cookie's value for a session's proof as stamped at `provedAt`. */
export function stepUpProofValue(key: Buffer, session: Proved): string {
  return keyedHash(key, `${session.companyId}:${session.userId}:${session.authTime}:${session.provedAt}`, 'base64url');
}

/**
 * The session as this request may use it: a step-up proof stands only with the browser's
 * proof cookie (`presented`); without it the session is as proved as its login left it.
 */
export function withThisBrowsersProof<T extends Proved>(key: Buffer, session: T, presented: string | undefined): T {
  if (session.provedAt === session.authTime) return session;
  if (presented !== undefined && constantTimeEqual(presented, stepUpProofValue(key, session))) return session;
  return { ...session, provedAt: session.authTime };
}
