// A module sign-in in progress (oidc-provider's Interaction: the module's request, the
// prompt, the provider session it began in) travels in the browser, sealed, instead of in
// a row: the authorization that sends a browser to log in writes nothing, and a sign-in
// is one write fewer (docs/PERFORMANCE-LOG.md, tenth pass).
//
// - Sealed with the node's secret box (AES-256-GCM), the sign-in's uid in its
//   authenticated context, its expiry inside: it cannot be forged, altered, or moved to
//   another sign-in, and it expires with the interaction.
// - One cookie per sign-in (the name ends in its uid), scoped to the sign-in's resume
//   (/oidc/auth/<uid>), as the provider scopes its own resume cookie: sign-ins in several
//   tabs do not meet, and no other request carries it. One copy per answer keeps the
//   answers' headers small (a reverse proxy refuses an upstream answer whose headers
//   outgrow its buffer: nginx's default is 4 KiB), and so does the size limit below.
// - Single use stays on the server: the resume marks the uid used in the statement that
//   stores its code, and only if it was not marked yet (write-batch.ts). A cookie presented
//   again meets the mark and is refused.
// - An interaction too large for a cookie (a long request object, `claims` or `state`) is
//   stored as a row, as every interaction was before. Anyone can send such a request, so
//   a client network may have only so many stored (anonymous-caps.ts, which asks
//   storedAsRowIn after the provider has answered, before the request's writes are stored).
import { AsyncLocalStorage } from 'node:async_hooks';
import { Provider } from 'oidc-provider';
import { openUnexpired, sealUntil, type SecretBox } from '../../crypto/index.ts';
import { clearingCookieLine, cookieInHeader, cookieLine } from '../../http/cookies.ts';
import { LOGIN_AGAIN_PARAM } from '../../contract/fields.ts';

const SEAL_CONTEXT = 'oidc-interaction';

/** How long a sign-in may take, from the module's request to the resume (the provider's `ttl.Interaction`). */
export const INTERACTION_TTL_S = 30 * 60;

/**
 * The longest sealed value carried (a usual sign-in seals to about 1,100 characters); a
 * larger interaction, a long request object or `claims`, is stored as a row. Browsers keep
 * cookies of up to 4,096 bytes, but the answer's headers are the tighter limit (above).
 */
const MAX_SEALED = 2_048;

/**
 * Where a sign-in in progress goes on: the provider's resume, whose gate decides whether
 * the browser's session will do (sign-in-gate.ts). The login returns there, and the
 * authorization sends a browser that may be signed in there.
 */
export const interactionPath = (uid: string) => `/oidc/auth/${uid}`;

/** Where the login returned to before the gate moved into the resume: still answered, by a redirect to the resume (a login page opened before an upgrade). */
export const legacyInteractionPath = (uid: string) => `/oidc-interaction/${uid}`;

/** Whether a session's login was made for sign-in `uid` (the login page returned to its resume, by either path). */
export function loginMadeFor(signedIn: { loginFor: string | null }, uid: string | undefined): boolean {
  return uid !== undefined && (signedIn.loginFor === interactionPath(uid) || signedIn.loginFor === legacyInteractionPath(uid));
}

/**
 * The login page for sign-in `uid`. `needKey`: it is to ask for a passkey or security key
 * (step-up). `again`: the browser is signed in, with a session that will not do for this
 * sign-in, so the page must ask for a new login rather than go on with it (LOGIN_AGAIN_PARAM).
 */
export const loginPageFor = (uid: string, { needKey = false, again = false } = {}) =>
  `/login?return=${encodeURIComponent(interactionPath(uid))}${needKey ? '&need=key' : ''}${again ? `&${LOGIN_AGAIN_PARAM}=1` : ''}`;

type KoaLike = { get(header: string): string; append(header: string, value: string): void; oidc?: object };

export type InteractionPayload = Record<string, unknown>;

export interface CarriedInteractions {
  /**
   * In a provider request: sets the cookies carrying interaction `uid` until `expiresAt`
   * (epoch ms). False when it cannot be carried (no provider request, or too large): the
   * caller stores it as a row.
   */
  carry(uid: string, payloadJson: string, expiresAt: number): boolean;
  /** The interaction `uid` the request being served carries, if it carries it and it is good. */
  carriedFor(uid: string): InteractionPayload | undefined;
  /** In a provider request: clears interaction `uid`'s cookies (it was resumed, or stored as a row instead). */
  drop(uid: string): void;
  /** The interaction the provider request `ctx` could not carry for its size (the adapter stores it as a row), if any. */
  storedAsRowIn(ctx: object): string | undefined;
  /**
   * For the legacy interaction route's answer that sends the browser to the resume: the
   * cookie carrying interaction `uid` there, if the request carried it (the same sealed
   * value, at the resume's path).
   */
  forwardedToResume(uid: string, cookieHeader: string | undefined): { name: string; value: string; path: string } | undefined;
  /** Runs `work` with `cookieHeader` as the request's cookies, for reads made outside a provider request (the resume's gate). */
  withCookies<T>(cookieHeader: string | undefined, work: () => Promise<T>): Promise<T>;
}

export function carriedInteractions(secrets: SecretBox, cookieBase: string, secure: boolean, clock: () => number): CarriedInteractions {
  const outsideProvider = new AsyncLocalStorage<string | undefined>();
  const nameOf = (uid: string) => `${cookieBase}_${uid}`;
  const providerContext = () => Provider.ctx as KoaLike | undefined;
  const tooLarge = new WeakMap<object, string>();

  return {
    carry(uid, payloadJson, expiresAt) {
      const ctx = providerContext();
      if (!ctx?.oidc) return false;
      const sealed = sealUntil(secrets, payloadJson, `${SEAL_CONTEXT}:${uid}`, expiresAt);
      if (sealed.length > MAX_SEALED) {
        tooLarge.set(ctx, uid);
        return false;
      }
      const maxAgeSeconds = Math.max(1, Math.ceil((expiresAt - clock()) / 1000));
      // Sent only to the resume (its gate reads it first), as the provider's own resume cookie.
      ctx.append('set-cookie', cookieLine(secure, nameOf(uid), sealed, { path: interactionPath(uid), maxAgeSeconds }));
      return true;
    },
    carriedFor(uid) {
      const header = providerContext()?.get('cookie') ?? outsideProvider.getStore();
      return openUnexpired(secrets, cookieInHeader(header, nameOf(uid)), `${SEAL_CONTEXT}:${uid}`, clock(), MAX_SEALED);
    },
    storedAsRowIn(ctx) {
      return tooLarge.get(ctx);
    },
    drop(uid) {
      const ctx = providerContext();
      if (!ctx?.oidc || cookieInHeader(ctx.get('cookie'), nameOf(uid)) === undefined) return;
      ctx.append('set-cookie', clearingCookieLine(secure, nameOf(uid), interactionPath(uid)));
    },
    forwardedToResume(uid, cookieHeader) {
      const value = cookieInHeader(cookieHeader, nameOf(uid));
      return value ? { name: nameOf(uid), value, path: interactionPath(uid) } : undefined;
    },
    withCookies(cookieHeader, work) {
      return outsideProvider.run(cookieHeader, work);
    },
  };
}
