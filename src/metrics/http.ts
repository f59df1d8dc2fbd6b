// The HTTP side of metrics: one hook that times every request (provider requests too,
// which Fastify hands to Koa and never finishes itself, so the timing hangs on the raw
// response's 'finish'), and GET /metrics where the configuration allows it.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../crypto/index.ts';
import { GatehouseError } from '../errors.ts';
import type { Metrics } from './metrics.ts';

const LOGIN_STEP_PREFIX = '/api/login/';
/** The provider routes a module calls; anything else under /oidc is counted as /oidc/*. */
const PROVIDER_ROUTES = new Set(['auth', 'token', 'token/introspection', 'token/revocation', 'me', 'jwks', 'session/end', 'session/end/confirm', 'backchannel']);

/** A provider request's route label, by its path under /oidc (without the slash). */
const providerRouteLabel = (path: string) => (PROVIDER_ROUTES.has(path) ? `/oidc/${path}` : '/oidc/*');

function routeLabel(request: FastifyRequest): string {
  const pattern = request.is404 ? 'unmatched' : request.routeOptions.url ?? 'unmatched';
  if (pattern !== '/oidc/*') return pattern;
  return providerRouteLabel((request.params as { '*'?: string })['*'] ?? '');
}

/**
 * Times a provider request that never passed through Fastify (src/http/provider-lane.ts),
 * under the label Fastify's hook would give it: `path` is its path under /oidc.
 */
export function timeProviderRequest(metrics: Metrics, path: string, method: string, response: ServerResponse): void {
  if (!metrics.registry) return;
  const started = process.hrtime.bigint();
  response.once('finish', () => metrics.observeRequest(providerRouteLabel(path), method, response.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
}

export function timeRequests(app: FastifyInstance, metrics: Metrics) {
  // A node that keeps no metrics (metrics.ts) times nothing.
  if (!metrics.registry) return;
  app.addHook('onRequest', (request, reply, done) => {
    const started = process.hrtime.bigint();
    reply.raw.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(request);
      const status = reply.raw.statusCode;
      metrics.observeRequest(route, request.method, status, seconds);
      if (route.startsWith(LOGIN_STEP_PREFIX)) {
        metrics.countLoginStep(route.slice(LOGIN_STEP_PREFIX.length), status < 400 ? 'ok' : status < 500 ? 'refused' : 'error');
      }
    });
    done();
  });
}

/** The node's numbers in Prometheus' text format, for GET /metrics on either port. */
export async function exposition({ registry }: Metrics) {
  if (!registry) throw new Error('this node keeps no metrics');
  return { type: registry.contentType, body: await registry.metrics() };
}

/**
 * GET /metrics on the public port, only with `Authorization: Bearer <token>`; without a
 * token configured the route does not exist there (404, like any unknown path).
 */
export function metricsRoute(app: FastifyInstance, metrics: Metrics, token: string) {
  app.get('/metrics', async (request, reply) => {
    const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!constantTimeEqual(presented, token)) {
      reply.header('www-authenticate', 'Bearer');
      throw new GatehouseError('metrics.token_required');
    }
    const { type, body } = await exposition(metrics);
    return reply.header('cache-control', 'no-store').type(type).send(body);
  });
}
