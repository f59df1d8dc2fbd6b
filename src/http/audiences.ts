// One guard per audience, each a Fastify plugin around the routes it covers: it signs
// the request's actor in (from the session cookie) before anything else of the request
// is read, and marks each route in the OpenAPI document with its audience and how it
// is authenticated. Routes then read `request.signedIn` and call one capability.
// API clients (bearer tokens on /api/v1) have their own guard: api-client-guard.ts.
//
// A route marked `config: { sensitive: ... }` (a change that would outlive the owner's
// recovery: a new Master, the Root Master moved, someone else's 2FA reset, single sign-on
// pointed elsewhere) also needs a session that proved it is its user in the last 10
// minutes (src/sessions recentlyProved; POST /api/me/reauth), else 403 reauth.required
// before the handler runs: a borrowed cookie alone cannot make it. Checked here, once,
// for every session route; test/http/sensitive-routes.test.ts makes every new
// state-changing route say whether it is sensitive. A Master's or an operator's changes
// are counted per user here too (spendAdminChange, src/shared/signed-in-writes.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { GatehouseError } from '../errors.ts';
import { recentlyProved, type SignedIn } from '../sessions/index.ts';
import type { CoreDeps } from '../shared/deps.ts';
import { spendAdminChange } from '../shared/signed-in-writes.ts';
import { assertStillMaster, sessionStands, stillSignedIn } from '../users/index.ts';
import { checkActorInTransactions } from './acting-transactions.ts';
import type { HttpContext } from './context.ts';
import { authenticatedAgain, requireSignedIn, SAFE_METHODS } from './guards.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A session route that needs a recent proof (step-up): `true`, or a test of the
     * validated request for a route only some of whose requests are sensitive (an
     * invitation as Master, switching a provider on but not off).
     */
    sensitive?: true | ((request: FastifyRequest) => boolean);
  }
  interface FastifyRequest {
    /** The signed-in user, set by the audience guard of a signed-in route; null elsewhere. */
    signedIn: SignedIn | null;
    /**
     * Whether whoever the guard let in still may be (their session or API client checked
     * again, as a new request would be), for work that outlasts the guard: a download read
     * while it is sent (sendCsv). Set by the signed-in audiences' guards and the API
     * client guard; null elsewhere.
     */
    accessStands: (() => Promise<boolean>) | null;
  }
}

/** Who may call a route: anyone, any signed-in user, a company's Masters, or operators. */
export type Audience = 'public' | 'user' | 'master' | 'operator';

/** A Fastify instance whose routes take zod schemas (types flow from them to handlers). */
export type RouteApp = ReturnType<typeof typed>;
const typed = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();

const SENSITIVE_NOTE = 'Sensitive: the session must have proved it is its user in the last 10 minutes (POST /api/me/reauth), else 403 reauth.required.';

/** Whether this request (validated, its route matched) is a sensitive change. */
function isSensitive(request: FastifyRequest): boolean {
  const sensitive = request.routeOptions.config.sensitive;
  return sensitive === true || (typeof sensitive === 'function' && sensitive(request));
}

const AUDIENCE_NOTE: Record<Audience, string> = {
  public: 'No session needed.',
  user: 'Any signed-in user.',
  master: "The company's Masters and its Root Master (from the session; a User gets 403).",
  operator: 'Gatehouse operators only.',
};

function mayPass(audience: Audience, signedIn: SignedIn): boolean {
  if (audience === 'operator') return signedIn.isOperator;
  if (audience === 'master') return signedIn.role !== 'user';
  return true;
}

/** Who a signed-in change's handler acts for, while it runs (read by its transactions: checkSignedInTransactions). */
interface ActingSignedIn {
  userId: string;
  companyId: string;
  sessionHash: string;
  /** A Master's or an operator's route: they must still be one. */
  administrator: boolean;
  /** A sensitive change: the proof its guard accepted (recentlyProved), which must still stand. */
  provedAt: number | undefined;
}
const actingSignedIn = new AsyncLocalStorage<ActingSignedIn>();

/**
 * From now on, a transaction begun while a signed-in change runs first checks, in that
 * transaction, what its guard read from the session as the request came in: the user
 * still active with their row locked, a Master's or an operator's change still made by one
 * (assertStillMaster), and the session still standing (sessionStands). A recovery, a
 * demotion or a deactivation that committed meanwhile (sign out everywhere from another
 * browser, one session ended, a Master deactivated) refuses the change, whichever
 * capability writes it and however it names its actor: `session.required`, or
 * `auth.forbidden` for a former administrator, nothing written. A sensitive change also
 * needs the proof its guard accepted to stand still: a key policy tightened meanwhile
 * withdraws a proof made with the app's code (endSessionsWithoutKey), `reauth.required`
 * (sessionStands, reading the session once for both).
 * One that comes after waits for the row lock (every revocation takes the user's row
 * first), then finds what the change wrote and ends it too.
 */
export function checkSignedInTransactions(deps: CoreDeps): void {
  checkActorInTransactions(deps.db, actingSignedIn, async (tx, actor, change) => {
    if (actor.administrator) {
      await assertStillMaster(tx, actor.userId, actor.companyId);
      await sessionStands(tx, actor, actor.provedAt);
    } else {
      await stillSignedIn(tx, actor, actor.provedAt);
    }
    return change();
  });
}

/** A change's handler, run as the request's signed-in user (checkSignedInTransactions). */
function asSignedIn(handler: RouteHandlerMethod, administrator: boolean): RouteHandlerMethod {
  return function handlerAsSignedIn(this: FastifyInstance, request, reply) {
    const { userId, companyId, sessionHash, provedAt } = signedInOf(request);
    const acting = { userId, companyId, sessionHash, administrator, provedAt: isSensitive(request) ? provedAt : undefined };
    return actingSignedIn.run(acting, () => handler.call(this, request, reply));
  };
}

/**
 * Registers `routes` behind `audience`'s guard, tagged `tag` in the OpenAPI document.
 * Encapsulated: the guard covers exactly these routes, whatever else is registered.
 */
export function forAudience(
  app: FastifyInstance,
  { deps, cookies }: HttpContext,
  audience: Audience,
  tag: string,
  routes: (api: RouteApp) => void,
): void {
  void app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      const schema = (route.schema ??= {}) as Record<string, unknown>;
      schema.tags ??= [tag];
      schema.security ??= audience === 'public' ? [] : [{ session: [] }];
      // Fastify calls this again for the HEAD twin of a GET, with the same schema object.
      const said = typeof schema.description === 'string' ? schema.description : '';
      if (!said.endsWith(AUDIENCE_NOTE[audience])) {
        const sensitive = route.config?.sensitive === undefined ? '' : ` ${SENSITIVE_NOTE}`;
        schema.description = `${said}${sensitive} ${AUDIENCE_NOTE[audience]}`.trim();
      }
      // A signed-in change: every transaction of its handler checks its session (and a
      // Master or an operator) again.
      const changes = [route.method].flat().some((method) => !SAFE_METHODS.has(method));
      if (audience !== 'public' && changes) route.handler = asSignedIn(route.handler, audience !== 'user');
    });
    if (audience !== 'public') {
      // onRequest: before the body is parsed or validated, so an anonymous caller learns
      // nothing about a route's fields.
      scope.addHook('onRequest', async (request, reply) => {
        const signedIn = await requireSignedIn(deps, cookies, request, reply);
        if (!mayPass(audience, signedIn)) throw new GatehouseError('auth.forbidden');
        request.signedIn = signedIn;
        request.accessStands = async () => {
          const now = await authenticatedAgain(deps, cookies, request);
          return now !== undefined && now.userId === signedIn.userId && mayPass(audience, now);
        };
      });
      // preHandler: after the body is validated (a route may be sensitive for some bodies
      // only), before the handler reads or changes anything.
      scope.addHook('preHandler', async (request) => {
        if (isSensitive(request) && !recentlyProved(signedInOf(request), deps.clock())) throw new GatehouseError('reauth.required');
        // Any method but a safe one (GET, HEAD, OPTIONS) on a Master's or an operator's route is a change, and counted.
        if (audience !== 'user' && !SAFE_METHODS.has(request.method)) await spendAdminChange(deps.db, signedInOf(request).userId, deps.clock());
      });
    }
    routes(typed(scope));
  });
}

/** The request's signed-in user; only inside a signed-in audience. */
export function signedInOf(request: FastifyRequest): SignedIn {
  if (!request.signedIn) throw new GatehouseError('session.required');
  return request.signedIn;
}

export function decorateActors(app: FastifyInstance): void {
  app.decorateRequest('signedIn', null);
  app.decorateRequest('accessStands', null);
  // The API client behind a bearer token on /api/v1 (api-client-guard.ts).
  app.decorateRequest('apiActor', null);
  app.decorateRequest('apiCompanyId', null);
}
