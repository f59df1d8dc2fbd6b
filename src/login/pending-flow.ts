// A login flow before its password is proved is not stored: identify hands it out in the
// flow cookie, signed (HMAC-SHA256 under a key derived for this purpose, checked in
// constant time) and expiring as a stored flow does. What identify resolved (the company
// and the user, or none: the unknown-user path makes the same token) and the token that
// will name the stored flow are sealed (AES-GCM), so the cookie tells no one whether the
// user exists, and holding it before the password step gives nothing after it.
//
// The password step stores the flow, at its next step, in the write that gives the
// password's attempt slot back (lockout.ts releaseAttemptAndStore): from there on it is a
// row like any other flow, named by the sealed token, which replaces the cookie, and used
// once as before (a second store of the same flow finds the row and stores nothing).
// Before that there is nothing to use once: replaying an identify cookie leads to a
// password step, as a fresh identify does for anyone.
import { bodyOfSignedToken, hashToken, randomToken, signedToken } from '../crypto/index.ts';
import type { CoreDeps } from '../shared/deps.ts';
import { FLOW_TTL_MS, PENDING_FLOW_PREFIX as PREFIX, type FlowRow } from './flows.ts';

/** Stands for "none" in the sealed part: as long as an id, so the token's length says nothing. */
const NONE = '00000000-0000-0000-0000-000000000000';
const SEAL_CONTEXT = 'login-flow';

export interface PendingFlowInput {
  companyId: string | null;
  userId: string | null;
  username: string;
  companyName: string;
  returnTo: string | null;
}

// The derived key is kept per deps: hashing with it reuses one KeyObject (tokens.ts).
const keys = new WeakMap<CoreDeps, Buffer>();
function signingKey(deps: CoreDeps): Buffer {
  let key = keys.get(deps);
  if (!key) keys.set(deps, (key = deps.deriveKey('login-flow-token')));
  return key;
}

export function pendingFlowToken(deps: CoreDeps, input: PendingFlowInput, now: number): string {
  const sealed = deps.secrets.encrypt(JSON.stringify([randomToken(), input.companyId ?? NONE, input.userId ?? NONE]), SEAL_CONTEXT);
  const open = { u: input.username, c: input.companyName, r: input.returnTo, x: now + FLOW_TTL_MS, s: sealed };
  return signedToken(signingKey(deps), PREFIX + Buffer.from(JSON.stringify(open), 'utf8').toString('base64url'));
}

export interface PendingFlow {
  /** The flow as it will be stored (at the password step until then). */
  flow: FlowRow;
  /** The token that names it once stored: the flow cookie from then on. */
  storedToken: string;
}

/** The flow a pending token carries; undefined when it was altered, is not one, or has expired. */
export function openPendingFlow(deps: CoreDeps, token: string, now: number): PendingFlow | undefined {
  const body = bodyOfSignedToken(signingKey(deps), token);
  if (!body?.startsWith(PREFIX)) return undefined;
  const open = JSON.parse(Buffer.from(body.slice(PREFIX.length), 'base64url').toString('utf8')) as { u: string; c: string; r: string | null; x: number; s: string };
  if (!(open.x > now)) return undefined;
  let sealed: [string, string, string];
  try {
    sealed = JSON.parse(deps.secrets.decrypt(open.s, SEAL_CONTEXT)) as [string, string, string];
  } catch {
    return undefined; // sealed under a secret key since removed
  }
  const [storedToken, companyId, userId] = sealed;
  return {
    storedToken,
    flow: {
      id_hash: hashToken(storedToken),
      company_id: companyId === NONE ? null : companyId,
      user_id: userId === NONE ? null : userId,
      username: open.u,
      company_name: open.c,
      step: 'password',
      enroll_secret: null,
      totp_failures: 0,
      return_to: open.r,
      expires_at: open.x,
      created_at: open.x - FLOW_TTL_MS,
      first_factor: 'pwd',
    },
  };
}
