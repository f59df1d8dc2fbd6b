// The API-client guard for /api/v1: the request's actor is the API client its bearer
// token was issued to, and nothing else. Steps, in order:
//   bearerToken        Authorization: Bearer <token> (RFC 6750 §2.1), else 401
//   verifyToken        a live client-credentials token of Gatehouse's own provider, else 401 invalid_token
//   liveClient         its API client is not deleted or expired and still has the secret
//                      the token was obtained with; only then is the request counted in
//                      its rate window (api-clients/usage.ts), else 401 invalid_token
//   rateLimit          RateLimit / RateLimit-Policy headers; over the limit 429 + Retry-After
//   requiredScope      the route's `config.scope`, else 403 insufficient_scope
//   reachPathCompany   (once the path is validated) a route naming a company (:companyId)
//                      gets it only if the client may reach it (reachCompany: its own
//                      company, or any but the platform company for a platform client),
//                      else 404 like a missing id; routes read it with reachedCompanyOf
//   asClient           a write route's handler runs as its client: every transaction it
//                      opens is checked again (checkClientsInTransactions), in that transaction
//                      (asClient: the client still live with the token's secret), else
//                      401 invalid_token and nothing written. The steps above ran before
//                      the body was read, and a client deleted or rotated meanwhile must
//                      not finish a request it started.
// Cookies are dropped before the routes run: /api/v1 never acts on a browser session,
// so a page on another site cannot borrow one (CSRF does not apply; route-guards.ts skips
// the origin check for these routes only because of this).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type Provider from 'oidc-provider';
import { API_RATE_WINDOW_MS, asClient, clientStands, isApiScope, reachCompany, useApiClient, type ApiActor, type ApiScope, type RatePolicy } from '../api-clients/index.ts';
import { GatehouseError } from '../errors.ts';
import { checkActorInTransactions } from './acting-transactions.ts';
import { bearerChallenge } from './bearer-challenge.ts';
import type { CoreDeps } from '../shared/deps.ts';

export type { ApiActor } from '../api-clients/index.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The API scope an /api/v1 route needs; `null` for a route any valid token may call.
     * Every route under the guard must say (a route without it refuses to register).
     */
    scope?: ApiScope | null;
  }
  interface FastifyRequest {
    /** Set by the API-client guard on /api/v1 requests; null everywhere else. */
    apiActor: ApiActor | null;
    /** The company the path's :companyId names, once the guard settled that the client may reach it; null elsewhere. */
    apiCompanyId: string | null;
  }
}

export interface ApiClientGuardOptions {
  deps: CoreDeps;
  /** The running provider (it is rebuilt when signing keys rotate). */
  provider: () => Provider;
  rate?: RatePolicy;
}

const RATE_POLICY_NAME = 'per-client';
/** RFC 6750 §2.1 b64token, bounded: oidc-provider's opaque tokens are 43 characters. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]{1,512}=*)$/i;

function challenge(reply: FastifyReply, params: Record<string, string> = {}) {
  reply.header('www-authenticate', bearerChallenge(params));
}

/**
 * The refusal of a request whose client lacks `scope` (a scope no company client can hold,
 * for a platform route): 403 api.insufficient_scope, its challenge naming the scope
 * (sendError writes it).
 */
export function lacksScope(scope: string): GatehouseError {
  return new GatehouseError('api.insufficient_scope', { scope });
}

function bearerToken(request: FastifyRequest, reply: FastifyReply): string {
  const header = request.headers.authorization;
  if (header === undefined || !/^bearer(\s|$)/i.test(header)) {
    // No credentials: a bare challenge, no error code (RFC 6750 §3.1).
    challenge(reply);
    throw new GatehouseError('api.token_required');
  }
  const match = BEARER.exec(header);
  if (!match?.[1]) throw invalidToken(reply);
  return match[1];
}

function invalidToken(reply: FastifyReply): GatehouseError {
  challenge(reply, { error: 'invalid_token', error_description: 'The access token is not valid' });
  return new GatehouseError('api.invalid_token');
}

async function verifyToken(provider: Provider, value: string, reply: FastifyReply) {
  const token = await provider.ClientCredentials.find(value);
  if (!token || token.isExpired || !token.clientId) throw invalidToken(reply);
  return token;
}

/** draft-ietf-httpapi-ratelimit-headers: the quota, what is left and when the window resets. */
function rateLimit(reply: FastifyReply, policy: RatePolicy, used: number, resetsAt: number, now: number): void {
  const resetSeconds = Math.max(1, Math.ceil((resetsAt - now) / 1000));
  reply.header('ratelimit-policy', `"${RATE_POLICY_NAME}";q=${policy.limit};w=${Math.round(policy.windowMs / 1000)}`);
  reply.header('ratelimit', `"${RATE_POLICY_NAME}";r=${Math.max(0, policy.limit - used)};t=${resetSeconds}`);
  if (used <= policy.limit) return;
  reply.header('retry-after', String(resetSeconds));
  throw new GatehouseError('api.rate_limited');
}

function requiredScope(request: FastifyRequest, reply: FastifyReply, actor: ApiActor): void {
  const needed = request.routeOptions.config.scope;
  if (needed === null || (needed !== undefined && actor.scopes.includes(needed))) return;
  throw lacksScope(needed ?? 'none');
}

/** The API client a write route's handler acts for, while it runs (read by its transactions: checkClientsInTransactions). */
const actingClient = new AsyncLocalStorage<ApiActor>();

/** Methods that change nothing (a GET never changes state): their handlers take no client's row lock. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The handler run as its request's client (asClient, via checkClientsInTransactions); a refusal there is
 * answered as the guard answers an invalid token, challenge included.
 */
function asRequestClient(handler: RouteHandlerMethod): RouteHandlerMethod {
  return async function handlerAsClient(this: FastifyInstance, request, reply) {
    try {
      return await actingClient.run(apiActorOf(request), () => handler.call(this, request, reply));
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'api.invalid_token') throw invalidToken(reply);
      throw error;
    }
  };
}

/**
 * From now on, a transaction begun while an /api/v1 write route's handler runs is its
 * client's change (asClient), checked at its start and before it commits. So every write
 * of every route is covered, whichever capability makes it and however it names its
 * actor, without each having to remember.
 */
export function checkClientsInTransactions(deps: CoreDeps): void {
  checkActorInTransactions(deps.db, actingClient, (tx, actor, change) => asClient(tx, actor, deps.clock(), change));
}

async function apiClientGuardPlugin(scope: FastifyInstance, options: ApiClientGuardOptions): Promise<void> {
  const { deps } = options;
  const policy = options.rate ?? { limit: deps.config.apiRateLimit, windowMs: API_RATE_WINDOW_MS };
  if (!scope.hasRequestDecorator('apiActor')) scope.decorateRequest('apiActor', null);
  if (!scope.hasRequestDecorator('apiCompanyId')) scope.decorateRequest('apiCompanyId', null);

  // Fail closed at start-up: a route that forgot its scope would otherwise be open to
  // every client's token.
  scope.addHook('onRoute', (route) => {
    const needed = (route.config as { scope?: unknown } | undefined)?.scope;
    if (needed !== null && (typeof needed !== 'string' || !isApiScope(needed))) {
      throw new Error(`API route ${route.method} ${route.url} must declare config.scope (an API scope, or null for any client)`);
    }
    if ([route.method].flat().some((method) => !READ_METHODS.has(method))) route.handler = asRequestClient(route.handler);
  });

  scope.addHook('onRequest', async (request, reply) => {
    request.cookies = {};
    const token = await verifyToken(options.provider(), bearerToken(request, reply), reply);
    const now = deps.clock();
    const credential = token.extra?.gh_credential;
    const use = await useApiClient(
      deps.db,
      { clientId: token.clientId as string, credentialTag: typeof credential === 'string' ? credential : undefined, scopes: [...token.scopes] },
      now,
      policy,
    );
    if (!use) throw invalidToken(reply);
    rateLimit(reply, policy, use.used, use.resetsAt, now);
    requiredScope(request, reply, use.actor);
    request.apiActor = use.actor;
    // A download read while it is sent goes on only while the client stands (sendCsv).
    request.accessStands = () => clientStands(deps.db, use.actor, deps.clock());
  });

  // One check for every route that names a company, so none can forget it (a platform
  // client once granted modules to the platform company, whose users are the operators,
  // and was told the first operator's sign-up state by a welcome resend). preHandler: the
  // path is validated by then (a malformed id never reaches a query).
  scope.addHook('preHandler', async (request) => {
    const companyId = (request.params as { companyId?: unknown } | undefined)?.companyId;
    if (typeof companyId !== 'string') return;
    request.apiCompanyId = await reachCompany(deps.db, apiActorOf(request), companyId);
  });
}

// Fastify's documented skip-override flag (what the fastify-plugin package sets): the
// hooks land in the scope that registers the guard (the /api/v1 prefix), not in a
// child scope of their own that no route would pass through.
Object.assign(apiClientGuardPlugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'gatehouse-api-client-guard' });

/** The API-client guard, registered in the /api/v1 scope (app.ts). */
export const apiClientGuard = apiClientGuardPlugin;

/** The company a guarded /api/v1 route's path names, settled as reachable by the guard. */
export function reachedCompanyOf(request: FastifyRequest): string {
  if (!request.apiCompanyId) throw new GatehouseError('request.not_found');
  return request.apiCompanyId;
}

/** The actor of a guarded /api/v1 request. */
export function apiActorOf(request: FastifyRequest): ApiActor {
  if (!request.apiActor) throw new GatehouseError('api.token_required');
  return request.apiActor;
}
