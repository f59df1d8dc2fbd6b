// The interaction's result (who signed in, how, when) goes from Gatehouse's interaction
// route to the provider's resume in a sealed cookie, not in the interaction's row: one
// write less per sign-in (the row was saved again only to carry it, and read back
// by the resume a moment later).
//
// Why the cookie can carry it: it is sealed with the node's secret box (AES-256-GCM) with
// the interaction's uid in its authenticated context, so it cannot be forged, altered, or
// moved to another interaction; it expires with the interaction, and the resume that ends
// the interaction clears it. Single use is the interaction's: the resume stores its code
// only if it marks the interaction used (write-batch.ts), so a cookie presented again
// meets a used interaction.
import { openUnexpired, sealUntil, type SecretBox } from '../../crypto/index.ts';
import { Provider } from 'oidc-provider';
import { clearingCookieLine, cookieInHeader } from '../../http/cookies.ts';

const SEAL_CONTEXT = 'oidc-interaction-result';
/** Longer than any result sealed here (about 400 characters). */
const MAX_SEALED = 3000;

export type InteractionResult = Record<string, unknown>;

type KoaLike = { get(header: string): string; append(header: string, value: string): void };

export interface InteractionResults {
  /** The cookie's name (with `__Host-` over https, like every Gatehouse cookie). */
  cookieName: string;
  /** The cookie's value carrying `result` to the resume of interaction `uid`, until `expiresAt` (epoch ms). */
  seal(uid: string, result: InteractionResult, expiresAt: number): string;
  /** In a provider request: the result sealed for interaction `uid`, if the request carries it and it is good. */
  carriedFor(uid: string): InteractionResult | undefined;
  /** In a provider request that carries the cookie: clears it (its interaction has ended). */
  drop(): void;
}

export function interactionResults(secrets: SecretBox, cookieName: string, secure: boolean, clock: () => number): InteractionResults {
  const carried = () => cookieInHeader((Provider.ctx as KoaLike | undefined)?.get('cookie'), cookieName);
  return {
    cookieName,
    seal(uid, result, expiresAt) {
      return sealUntil(secrets, JSON.stringify(result), `${SEAL_CONTEXT}:${uid}`, expiresAt);
    },
    carriedFor(uid) {
      return openUnexpired(secrets, carried(), `${SEAL_CONTEXT}:${uid}`, clock(), MAX_SEALED);
    },
    drop() {
      if (carried() !== undefined) (Provider.ctx as KoaLike).append('set-cookie', clearingCookieLine(secure, cookieName));
    },
  };
}
