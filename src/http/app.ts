// The Fastify application: security headers, CSRF origin check, one error handler, the
// API contract (api-contract.ts), and route files whose routes sit behind one audience
// guard each (audiences.ts).
import fastifyCookie from '@fastify/cookie';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { GatehouseError } from '../errors.ts';
import type { CoreDeps } from '../shared/deps.ts';
import type { Storage } from '../storage/index.ts';
import type { HttpContext } from './context.ts';
import { cookieNames } from './cookies.ts';
import { utf8JsonBodies } from './json-body.ts';
import { refusalBeforeRouting } from './header-refusal.ts';
import { frameworkErrorHandler, handleError, parserErrorHandler, refuseLikeNode } from './error-handler.ts';
import { withLogRedaction } from './log-redaction.ts';
import { guardRoutes } from './route-guards.ts';
import { holdStepsToShownLogin } from './login-flow.ts';
import { fastifyTrustProxy } from './client-ip.ts';
import { securityHeaders, securityHeaderSet } from './security-headers.ts';
import { loginRoutes } from './routes/login.ts';
import { companyPolicyRoutes } from './routes/company-policy.ts';
import { recoveryCodeRoutes } from './routes/recovery-codes.ts';
import { meRoutes } from './routes/me.ts';
import { securityKeyRoutes } from './routes/security-keys.ts';
import { recoveryRoutes } from './routes/recovery.ts';
import { operatorRoutes } from './routes/operator.ts';
import { portalRoutes } from './routes/portal.ts';
import { publicRoutes } from './routes/public.ts';
import { moduleRoutes } from './routes/modules.ts';
import { oidcRoutes } from './routes/oidc.ts';
import { serveProviderEndpointsDirectly } from './provider-lane.ts';
import { auditRoutes } from './routes/audit.ts';
import { adminUserRoutes } from './routes/admin-users.ts';
import { groupRoutes } from './routes/groups.ts';
import { apiV1Routes } from './routes/api-v1.ts';
import { apiClientRoutes } from './routes/api-clients.ts';
import { ssoRoutes } from './routes/sso.ts';
import type { OidcService } from '../modules/index.ts';
import { serveWebApp } from './static.ts';
import { contractCompilers, installApiContract } from './api-contract.ts';
import { checkClientsInTransactions } from './api-client-guard.ts';
import { checkSignedInTransactions, decorateActors } from './audiences.ts';
import { metricsRoute, timeRequests, type Metrics } from '../metrics/index.ts';
import { durableAnswers } from './durable-answers.ts';
import { closeConnectionsAsTheyIdle } from './drain-on-close.ts';
import { slowClientLimits } from './slow-clients.ts';

export const BODY_LIMIT_BYTES = 64 * 1024;

export async function buildHttpApp(
  deps: CoreDeps,
  storage: Storage,
  options: {
    webDist: string;
    logger: FastifyServerOptions['logger'];
    https?: { cert: Buffer; key: Buffer };
    oidc: OidcService;
    metrics: Metrics;
  },
): Promise<FastifyInstance> {
  const headers = securityHeaderSet({ hsts: deps.config.secureCookies });
  const app = Fastify({
    logger: withLogRedaction(options.logger),
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: deps.config.requestTimeoutMs,
    // Node reads these when the server is made: `http` for plain HTTP, the https options for TLS.
    http: slowClientLimits(deps.config.requestTimeoutMs),
    logController: new LogController({ disableRequestLogging: !deps.config.logRequests }),
    frameworkErrors: frameworkErrorHandler(headers),
    clientErrorHandler: parserErrorHandler(headers),
    trustProxy: fastifyTrustProxy(deps.config.trustProxy),
    schemaController: { compilersFactory: contractCompilers(deps.config.strictResponses) },
    ...(options.https ? { https: { ...options.https, ...slowClientLimits(deps.config.requestTimeoutMs) } } : {}),
  } as FastifyServerOptions) as unknown as FastifyInstance;
  const ctx: HttpContext = { deps, cookies: cookieNames(deps.config.secureCookies) };
  // Whoever a change acts for (a signed-in user, a Master, an operator, an API client) is checked again in
  // each of its transactions.
  checkSignedInTransactions(deps);
  checkClientsInTransactions(deps);
  const publicOrigin = deps.config.publicUrl.origin;

  closeConnectionsAsTheyIdle(app);
  timeRequests(app, options.metrics);
  durableAnswers(app, storage.kind === 'sqlite' ? storage.durability : undefined);
  app.setErrorHandler(handleError);
  utf8JsonBodies(app);
  await app.register(fastifyCookie);
  securityHeaders(app, headers);
  // What Node would refuse itself, bare, is refused here with every answer's headers: an
  // HTTP/1.1 request naming no host (Node's check is off: slow-clients.ts), with the
  // requests naming it twice or wrongly that RFC 9112 refuses too, and the header lines Node would read wrongly (headerRefusal), and an
  // Expect header other than 100-continue. And a URL whose percent-escapes are not UTF-8
  // (url-encoding.ts): its query, before any route reads it, the provider's under /oidc
  // included, and before a token or a session is looked at; a path so escaped the router
  // has refused already (frameworkErrorHandler, with the same check).
  // A plain hook, not an async one: it runs on every request, and an async hook costs a promise each.
  app.addHook('onRequest', (request, _reply, done) => {
    const refusal = refusalBeforeRouting(request.raw);
    done(refusal ? new GatehouseError(refusal) : undefined);
  });
  app.server.on('checkExpectation', refuseLikeNode(headers));

  guardRoutes(app, publicOrigin);
  holdStepsToShownLogin(app, deps, ctx.cookies.flow);
  decorateActors(app);
  // Before any route: the document is made from routes as they are registered.
  await installApiContract(app, {
    publicUrl: deps.config.publicUrl,
    strictResponses: deps.config.strictResponses,
    cookieName: ctx.cookies.session,
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  if (deps.config.metrics.token) metricsRoute(app, options.metrics, deps.config.metrics.token);
  app.get('/readyz', async (_request, reply) => {
    try {
      await storage.ping();
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ status: 'unavailable' });
    }
  });

  publicRoutes(app, ctx);
  loginRoutes(app, ctx);
  companyPolicyRoutes(app, ctx);
  recoveryCodeRoutes(app, ctx);
  portalRoutes(app, ctx);
  meRoutes(app, ctx);
  securityKeyRoutes(app, ctx);
  recoveryRoutes(app, ctx);
  moduleRoutes(app, ctx);
  auditRoutes(app, ctx);
  adminUserRoutes(app, ctx);
  groupRoutes(app, ctx);
  operatorRoutes(app, ctx);
  apiClientRoutes(app, ctx);
  ssoRoutes(app, ctx);
  await apiV1Routes(app, ctx, options.oidc);
  await oidcRoutes(app, ctx, options.oidc);
  serveProviderEndpointsDirectly(app, {
    oidc: options.oidc,
    publicUrl: deps.config.publicUrl,
    trustProxy: deps.config.trustProxy,
    headers,
    metrics: options.metrics,
    logRequests: deps.config.logRequests,
  });
  await serveWebApp(app, options.webDist);
  return app;
}
