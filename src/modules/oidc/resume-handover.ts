// What the sign-in gate (sign-in-gate.ts) hands to the provider's resume in the same
// request: the interaction's result (who signed in, how, when), and what the gate read
// to decide it (the sign-in with its module, the Gatehouse session with the module access
// decision), so that the resume reads none of it again. Nothing here travels: it lives
// as long as the request object it is attached to, and the provider finds it through its
// own request context (Provider.ctx.req), so a resume for any other request, or for
// another sign-in than the one the gate decided, finds nothing and reads as usual.
import type { IncomingMessage } from 'node:http';
import { Provider } from 'oidc-provider';
import type { SignedInWithAccess } from '../access.ts';
import type { SignInPayload, SignInRecord } from './sign-in-record.ts';

export type InteractionResult = Record<string, unknown>;

export interface Handed {
  /** The sign-in the gate decided. */
  uid: string;
  result: InteractionResult;
  /** The sign-in as the gate found it (carried or stored, not used yet), and its module if read with it. */
  interaction: SignInPayload;
  caller: SignInRecord['caller'];
  /** The Gatehouse session read for `clientId` with `token`, and its access decision. */
  session?: { token: string; clientId: string; found: Promise<SignedInWithAccess | undefined> };
}

const handed = new WeakMap<IncomingMessage, Handed>();

/** Before the provider serves `req`: what the gate decided for its resume. */
export function handOver(req: IncomingMessage, value: Handed): void {
  handed.set(req, value);
}

/** In a provider request: what the gate handed over for it, if anything. */
function handedToRequest(): Handed | undefined {
  const req = (Provider.ctx as { req?: IncomingMessage } | undefined)?.req;
  return req ? handed.get(req) : undefined;
}

/** In a provider request: what the gate handed over for it, if it is the resume of sign-in `uid`. */
export function handedFor(uid: string): Handed | undefined {
  const value = handedToRequest();
  return value?.uid === uid ? value : undefined;
}

/**
 * In a provider request: the user the gate found signed in, whatever the module (a live
 * session means an active user in an active company, with what an account's claims need).
 */
export async function handedSignedIn() {
  const session = handedToRequest()?.session;
  return session ? (await session.found)?.signedIn : undefined;
}

/** In a provider request: the session the gate read with `token` for `clientId`, if it did. */
export function handedSession(token: string, clientId: string): Promise<SignedInWithAccess | undefined> | undefined {
  const session = handedToRequest()?.session;
  return session && session.token === token && session.clientId === clientId ? session.found : undefined;
}
