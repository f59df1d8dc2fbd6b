// A login flow before its password is proved is not stored: identify hands it out in the
// flow cookie, sealed whole with the secret box (AES-256-GCM under the context
// 'login-flow', src/crypto/secrets.ts): the stored flow's future token, the company and
// the user identify resolved (or none: the unknown-user path makes the same token), the
// names as typed, where to return, and the expiry. The box's tag authenticates all of it,
// so nothing else signs it; the cookie tells no one whether the user exists or what name
// was typed; and holding it before the password step gives nothing after it. The sealed
// value names its key, so a pending flow outlives a key rotation as other secrets do.
//
// The password step stores the flow, at its next step, under its stored name: from there
// on it is a row like any other flow, and the name, which replaces the cookie, is used
// once as before (a second store of the same flow finds the row and stores nothing). The
// name is derived from a nonce the cookie seals, under a key only the server holds
// (keyedHash), so the cookie's holder cannot know it: the step stores the flow in the
// write that holds its attempt slot, before the hash (password-hold.ts holdAttemptAndStoreFlow),
// and hands the name out only once the password is proved. Before that there is nothing
// to use once: replaying an identify cookie leads to a password step, as a fresh identify
// does for anyone.
import { hashToken, keyedHash, openFromCookie, randomToken, sealForCookie } from '../crypto/index.ts';
import type { CoreDeps } from '../shared/deps.ts';
import { FLOW_TTL_MS, type FlowRow } from './flows.ts';
import { NO_SUCH_ID } from '../shared/no-such-id.ts';

/** How a pending flow's token begins; a stored flow's (43 base64url characters, after a renamed one's hex login id) never does. */
const PREFIX = 'p2.';
export const isPendingFlowToken = (token: string) => token.startsWith(PREFIX);

const SEAL_CONTEXT = 'login-flow';

export interface PendingFlowInput {
  companyId: string | null;
  userId: string | null;
  username: string;
  companyName: string;
  returnTo: string | null;
}

/** What is sealed, in this order: the stored name's nonce, company id, user id, username, company name, returnTo, expiry. */
type Sealed = [string, string, string, string, string, string | null, number];

export function pendingFlowToken(deps: CoreDeps, input: PendingFlowInput, now: number): string {
  const sealed: Sealed = [randomToken(), input.companyId ?? NO_SUCH_ID, input.userId ?? NO_SUCH_ID, input.username, input.companyName, input.returnTo, now + FLOW_TTL_MS];
  return PREFIX + sealForCookie(deps.secrets, JSON.stringify(sealed), SEAL_CONTEXT);
}

export interface PendingFlow {
  /** The flow as it will be stored (at the password step until then). */
  flow: FlowRow;
  /** The token that names it once stored: the flow cookie from then on; never in the pending cookie. */
  storedToken: string;
}

/** The flow a pending token carries; undefined when it was altered, is not one, or has expired. */
export function openPendingFlow(deps: CoreDeps, token: string, now: number): PendingFlow | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  let sealed: Sealed;
  try {
    sealed = JSON.parse(openFromCookie(deps.secrets, token.slice(PREFIX.length), SEAL_CONTEXT)) as Sealed;
  } catch {
    return undefined; // altered, sealed for another purpose, or under a secret key since removed
  }
  const [nonce, companyId, userId, username, companyName, returnTo, expiresAt] = sealed;
  if (!(expiresAt > now)) return undefined;
  const storedToken = keyedHash(deps.deriveKey('login-flow-name'), nonce, 'base64url');
  return {
    storedToken,
    flow: {
      id_hash: hashToken(storedToken),
      company_id: companyId === NO_SUCH_ID ? null : companyId,
      user_id: userId === NO_SUCH_ID ? null : userId,
      username,
      company_name: companyName,
      step: 'password',
      enroll_secret: null,
      totp_failures: 0,
      return_to: returnTo,
      expires_at: expiresAt,
      created_at: expiresAt - FLOW_TTL_MS,
      first_factor: 'pwd',
      slot_hold_window: null,
      mail_code_hash: null,
      mail_code_sent_at: null,
      mail_codes_sent: 0,
      mail_proved_at: null,
    },
  };
}
