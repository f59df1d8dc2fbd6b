// The interaction's result (who signed in, how, when) goes from Gatehouse's interaction
// route to the provider's resume in a sealed cookie, not in the interaction's row: one
// write less per sign-in (the row was saved again only to carry it, and read back
// by the resume a moment later).
//
// Why the cookie can carry it: it is sealed with the node's secret box (AES-256-GCM) with
// the interaction's uid in its authenticated context, so it cannot be forged, altered, or
// moved to another interaction; it expires with the interaction. Single use is unchanged:
// the resume still deletes the interaction's row and stores its code only if the delete
// found it (write-batch.ts), so a cookie presented again meets no interaction.
import { openFromCookie, sealForCookie, type SecretBox } from '../../crypto/index.ts';
import { Provider } from 'oidc-provider';
import { cookieInHeader } from '../../http/cookies.ts';

const SEAL_CONTEXT = 'oidc-interaction-result';

export type InteractionResult = Record<string, unknown>;

export interface InteractionResults {
  /** The cookie's name (with `__Host-` over https, like every Gatehouse cookie). */
  cookieName: string;
  /** The cookie's value carrying `result` to the resume of interaction `uid`, until `expiresAt` (epoch ms). */
  seal(uid: string, result: InteractionResult, expiresAt: number): string;
  /** In a provider request: the result sealed for interaction `uid`, if the request carries it and it is good. */
  carriedFor(uid: string): InteractionResult | undefined;
}

export function interactionResults(secrets: SecretBox, cookieName: string, clock: () => number): InteractionResults {
  return {
    cookieName,
    seal(uid, result, expiresAt) {
      return sealForCookie(secrets, JSON.stringify([expiresAt, result]), `${SEAL_CONTEXT}:${uid}`);
    },
    carriedFor(uid) {
      const ctx = Provider.ctx as { get(header: string): string } | undefined;
      const value = cookieInHeader(ctx?.get('cookie'), cookieName);
      if (!value || value.length > 3000 || !/^[A-Za-z0-9_.-]+$/.test(value)) return undefined;
      try {
        const [expiresAt, result] = JSON.parse(openFromCookie(secrets, value, `${SEAL_CONTEXT}:${uid}`)) as [number, InteractionResult];
        return typeof expiresAt === 'number' && expiresAt > clock() && result && typeof result === 'object' ? result : undefined;
      } catch {
        // Altered, sealed for another interaction, or by a key this node does not have.
        return undefined;
      }
    },
  };
}
