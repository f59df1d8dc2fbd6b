// The provider's answers that store a row for anyone, with no cookie and no client
// authentication, capped per client network (src/shared/anonymous-writes.ts):
// - the logout page (/oidc/session/end) keeps its form's xsrf value in a provider
//   session, and makes one for a browser that has none. Such a session lives only as long
//   as a sign-in may (provider.ts, ttl.Session). A browser that already has a provider
//   session (anyone signed in to a module) is not counted;
// - a module's sign-in too large to travel in the browser (a long `state`, `claims` or
//   request object) is stored as a row (carried-interaction.ts). Sign-ins that fit are not
//   counted;
// - a pushed authorization request (POST /oidc/request, RFC 9126) by a public module, whose
//   client id anyone can name, and the DPoP proof it may carry (remembered by its jti,
//   replay-detection.ts, before the request is saved). A module that authenticates is not
//   counted. Each of its parameters is held to MAX_PUSHED_PARAMETER characters too: the
//   row keeps them all.
// Past a cap a browser gets a 429 page and a module's client a 429 error (RFC 9126 §2.3
// names that status), and nothing is stored.
import { errors, Provider, type KoaContextWithOIDC } from 'oidc-provider';
import { cookieInHeader } from '../../http/cookies.ts';
import { normalizeAddress } from '../../http/client-ip.ts';
import { ANONYMOUS_WRITE_CAPS, takeAnonymousWrite, type AnonymousWrite } from '../../shared/anonymous-writes.ts';
import type { CoreDeps } from '../../shared/deps.ts';
import type { CarriedInteractions } from './carried-interaction.ts';
import { errorPage, PAGE_CSP } from './pages.ts';
import { isProviderRoute } from './route-key.ts';
import { batchOfRequest } from './write-batch.ts';

const LOGOUT_PAGE_PATH = '/session/end';
const PUSHED_ROUTE = 'pushed_authorization_request';

/** The longest parameter of a public module's pushed authorization request. */
export const MAX_PUSHED_PARAMETER = 4_096;

type KoaLike = Pick<KoaContextWithOIDC, 'ip' | 'status' | 'body' | 'type' | 'set' | 'remove'>;

// The longest a used-up cap holds the network back: the uses counted at a refusal count no
// more 2 windows on (src/storage/rate-caps.ts).
const retryAfterOf = (write: AnonymousWrite) => String((2 * ANONYMOUS_WRITE_CAPS[write].windowMs) / 1000);

/** One slot of `write` for the client of the provider request `ctx`. */
function takeFor(deps: CoreDeps, ctx: Pick<KoaContextWithOIDC, 'ip'>, write: AnonymousWrite): Promise<boolean> {
  return takeAnonymousWrite(deps.db, write, normalizeAddress(ctx.ip), deps.clock());
}

/** The browser's answer past a cap: a 429 page, and nothing the provider prepared (no redirect, no cookie). */
function answerTooMany(ctx: KoaLike, write: AnonymousWrite, message: string) {
  ctx.remove('location');
  ctx.remove('set-cookie');
  ctx.status = 429;
  ctx.set('retry-after', retryAfterOf(write));
  ctx.set('cache-control', 'no-store');
  ctx.set('content-security-policy', PAGE_CSP);
  ctx.type = 'html';
  ctx.body = errorPage('Too many requests', message);
}

export function capAnonymousLogoutPages(deps: CoreDeps, providerSessionCookie: string) {
  return async function anonymousLogoutPages(ctx: KoaContextWithOIDC, next: () => Promise<unknown>) {
    const freshSession = isProviderRoute(ctx.path, LOGOUT_PAGE_PATH) && !cookieInHeader(ctx.get('cookie'), providerSessionCookie);
    if (freshSession && !(await takeFor(deps, ctx, 'logoutPageSessions'))) {
      answerTooMany(ctx, 'logoutPageSessions', 'Too many logout pages were opened from your network. Try again in a few minutes.');
      return;
    }
    await next();
  };
}

/**
 * Registered inside storeBatchBeforeAnswering (write-batch.ts): the provider has answered,
 * and its writes are still in the request's batch. A sign-in stored as a row past the
 * cap is left out of the batch (carried, the batch's "never stored") and the answer
 * becomes the 429 page.
 */
export function capStoredInteractions(deps: CoreDeps, interactions: CarriedInteractions) {
  return async function storedInteractions(ctx: KoaContextWithOIDC, next: () => Promise<unknown>) {
    await next();
    const uid = interactions.storedAsRowIn(ctx);
    if (uid === undefined || (await takeFor(deps, ctx, 'storedInteractions'))) return;
    const batch = batchOfRequest(ctx);
    const queued = batch?.queued('Interaction', uid);
    if (batch && queued && queued !== 'destroyed') batch.carry(queued.values);
    answerTooMany(ctx, 'storedInteractions', 'Too many sign-ins with long requests came from your network. Try again in a few minutes.');
  };
}

/** Refused past the cap, as the provider refuses a request: its own error answer (JSON for a module's client). */
class TooManyPushedRequests extends errors.OIDCProviderError {
  constructor() {
    super(429, 'temporarily_unavailable');
    this.error_description = 'too many pushed authorization requests from this network; try again later';
  }
}

/** The first parameter longer than MAX_PUSHED_PARAMETER, if any. */
const overlongParameter = (params: Record<string, unknown> | undefined) =>
  Object.entries(params ?? {}).find(([, value]) => typeof value === 'string' && value.length > MAX_PUSHED_PARAMETER)?.[0];

/**
 * Whether the pushed request of `ctx` is anonymous: the provider's own rule for a pushed
 * request's `trusted` (pushed_authorization_requests.js), decided before the request
 * stores anything: the module did not authenticate, nor sign its request object.
 */
function anonymousPush(ctx: KoaContextWithOIDC): boolean {
  const { oidc } = ctx as Partial<KoaContextWithOIDC>;
  return oidc?.route === PUSHED_ROUTE && oidc.client?.clientAuthMethod === 'none' && !oidc.trusted?.length;
}

type ProofCheck = (issuer: string, jti: string, expiresAtS: number) => Promise<boolean>;

/**
 * An anonymous pushed request stores its DPoP proof (the provider remembers the proof's
 * jti in its DPoP check, before any other check of the request is done) and then the
 * request. Its slot is taken once, before the first of them: past the cap neither is
 * stored. Called after buildProvider, whose ReplayDetection.unique (replay-detection.ts)
 * it wraps.
 */
export function capAnonymousPushedRequests(provider: Provider, deps: CoreDeps) {
  const admitted = new WeakMap<KoaContextWithOIDC, Promise<void>>();
  const admit = (ctx: KoaContextWithOIDC) => {
    let admission = admitted.get(ctx);
    if (!admission) {
      admission = admitAnonymousPush(deps, ctx);
      admitted.set(ctx, admission);
    }
    return admission;
  };

  const proofs = provider.ReplayDetection as unknown as { unique: ProofCheck };
  const unique = proofs.unique;
  proofs.unique = async (issuer, jti, expiresAtS) => {
    const ctx = Provider.ctx;
    if (ctx && anonymousPush(ctx)) await admit(ctx);
    return unique.call(proofs, issuer, jti, expiresAtS);
  };

  const model = provider.PushedAuthorizationRequest.prototype;
  const save = model.save;
  model.save = async function saveWithinCap(this: typeof model, ttl?: number) {
    const ctx = Provider.ctx;
    if (ctx && anonymousPush(ctx)) await admit(ctx);
    return save.call(this, ttl);
  };
}

/** An anonymous pushed request is checked, then counted; refused past the cap. */
async function admitAnonymousPush(deps: CoreDeps, ctx: KoaContextWithOIDC): Promise<void> {
  const overlong = overlongParameter(ctx.oidc.params);
  if (overlong) throw new errors.InvalidRequest(`the ${overlong} parameter is longer than ${MAX_PUSHED_PARAMETER} characters`);
  if (!(await takeFor(deps, ctx, 'pushedRequests'))) {
    ctx.set('retry-after', retryAfterOf('pushedRequests'));
    throw new TooManyPushedRequests();
  }
}
