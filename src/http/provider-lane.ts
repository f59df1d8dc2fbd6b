// The provider's machine endpoints (the token endpoint, introspection, revocation and
// userinfo: what a module's back end calls on every API request it serves) taken straight
// from Node's server to the provider, past Fastify's router, request objects and hooks,
// which the provider does not use: it reads its own bodies and sets its own headers
// (routes/oidc.ts hands it the raw request anyway). Profiled, Fastify's part was about 5%
// of an introspection's busy time; side by side, 1.06 to 1.13 times the introspections a
// second (docs/PERFORMANCE.md, twenty-fifth pass).
//
// The lane takes only a request that every guard lets through unchanged, and adds what
// Fastify would add to it; anything else goes to Fastify as before, which answers it:
// - only the exact paths below, GET or POST, no query string (any other spelling, or a
//   query, is routed and checked by Fastify; routes/oidc.ts);
// - a request Gatehouse refuses before routing (its header lines, its escapes:
//   refusalBeforeRouting, the same check as Fastify's first hook) goes to Fastify, whose
//   hook answers the refusal with every answer's headers;
// - a node closing: Fastify answers 503 and closes the connection;
// - request logging on (GATEHOUSE_LOG_REQUESTS): the log's lines are Fastify's, so every
//   request goes there.
// What it adds: the security headers every answer carries, the request's timing under the
// route label Fastify's hook gives it, and the client address walked with the same proxy
// trust (client-ip.ts), handed to the provider as routes/oidc.ts hands it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { OidcService } from '../modules/index.ts';
import { timeProviderRequest, type Metrics } from '../metrics/index.ts';
import { clientAddressOf, trustedHop, type ProxyTrust } from './client-ip.ts';
import { refusalBeforeRouting } from './header-refusal.ts';
import { handToProvider, presentAsPublic } from './routes/oidc.ts';
import type { SecurityHeaders } from './security-headers.ts';

/** The request URLs the lane takes, and the provider's path for each (under /oidc). */
const LANE: ReadonlyMap<string, string> = new Map(['token', 'token/introspection', 'token/revocation', 'me'].map((path) => [`/oidc/${path}`, path]));
const LANE_METHODS: ReadonlySet<string> = new Set(['GET', 'POST']);

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export interface ProviderLaneOptions {
  oidc: OidcService;
  publicUrl: URL;
  trustProxy: ProxyTrust;
  headers: SecurityHeaders;
  metrics: Metrics;
  logRequests: boolean;
}

export function serveProviderEndpointsDirectly(app: FastifyInstance, options: ProviderLaneOptions): void {
  if (options.logRequests) return;
  const trusted = trustedHop(options.trustProxy);
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // Fastify's own listener is on the server from its start; the lane goes in front of it.
  app.addHook('onReady', (done) => {
    const [fastify] = app.server.listeners('request') as RequestListener[];
    if (!fastify) return done();
    app.server.removeListener('request', fastify);
    app.server.on('request', (raw: IncomingMessage, response: ServerResponse) => {
      const path = LANE.get(raw.url ?? '');
      if (path === undefined || closing || !LANE_METHODS.has(raw.method ?? '') || refusalBeforeRouting(raw) !== undefined) return fastify(raw, response);
      options.headers.onto(response);
      timeProviderRequest(options.metrics, path, raw.method as string, response);
      presentAsPublic(raw, clientAddressOf(raw, trusted), options.publicUrl);
      handToProvider(options.oidc, raw, response, `/${path}`);
    });
    done();
  });
}
