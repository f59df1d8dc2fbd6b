// One guard per audience, each a Fastify plugin around the routes it covers: it signs
// the request's actor in (from the session cookie) before anything else of the request
// is read, and marks each route in the OpenAPI document with its audience and how it
// is authenticated. Routes then read `request.signedIn` and call one capability.
// API clients (bearer tokens on /api/v1) have their own guard: api-client-guard.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { GatehouseError } from '../errors.ts';
import type { SignedIn } from '../sessions/index.ts';
import type { HttpContext } from './context.ts';
import { requireSignedIn } from './guards.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, set by the audience guard of a signed-in route; null elsewhere. */
    signedIn: SignedIn | null;
  }
}

/** Who may call a route: anyone, any signed-in user, a company's Masters, or operators. */
export type Audience = 'public' | 'user' | 'master' | 'operator';

/** A Fastify instance whose routes take zod schemas (types flow from them to handlers). */
export type RouteApp = ReturnType<typeof typed>;
const typed = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();

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
      if (!said.endsWith(AUDIENCE_NOTE[audience])) schema.description = `${said} ${AUDIENCE_NOTE[audience]}`.trim();
    });
    if (audience !== 'public') {
      // onRequest: before the body is parsed or validated, so an anonymous caller learns
      // nothing about a route's fields.
      scope.addHook('onRequest', async (request, reply) => {
        const signedIn = await requireSignedIn(deps, cookies, request, reply);
        if (!mayPass(audience, signedIn)) throw new GatehouseError('auth.forbidden');
        request.signedIn = signedIn;
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
  // The API client behind a bearer token on /api/v1 (api-client-guard.ts).
  app.decorateRequest('apiActor', null);
}
