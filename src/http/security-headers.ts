// Security headers on every response: helmet's, for Gatehouse's one configuration.
// @fastify/helmet built helmet's middleware anew on every request (it allows options per
// route, which Gatehouse never uses), which cost 2 to 3% of a token request's CPU. Here
// helmet runs once at start against a recorder: with no per-request options, no nonces
// and no directive functions, what it sets is the same for every response, so the hook
// only replays it, and so does the answer to a request the router refused before any hook
// ran (error-handler.ts, handleFrameworkError): one set of headers for every answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/** The headers every answer carries, made once; `onto` sets them on a response, `lines` spells them for a raw answer. */
export interface SecurityHeaders {
  onto(response: ServerResponse): void;
  lines: readonly string[];
}

export function securityHeaderSet(options: { hsts: boolean }): SecurityHeaders {
  const apply = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Mantine sets style attributes and CSS variables at run time.
        styleSrc: ["'self'", "'unsafe-inline'"],
        // Module logos may live on the module's own https site.
        imgSrc: ["'self'", 'data:', 'https:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    // Legacy twin of frame-ancestors 'none' for browsers that ignore CSP: never framed.
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: options.hsts ? { maxAge: 31536000, includeSubDomains: true } : false,
  });
  const set: Array<[string, string]> = [];
  const removed: string[] = [];
  // Anything else helmet would ask of a response fails here, at start, not per request.
  const recorder = { setHeader: (name: string, value: string) => set.push([name, value]), removeHeader: (name: string) => removed.push(name) };
  // helmet touches nothing of the request and only these two methods of the response.
  apply({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return {
    lines: set.map(([name, value]) => `${name}: ${value}`),
    onto(response) {
      for (const [name, value] of set) response.setHeader(name, value);
      for (const name of removed) response.removeHeader(name);
    },
  };
}

/**
 * What an answer that chose no cache lifetime gets: `no-store`. An answer is cached only
 * where its route says so (the web app's hashed assets, the provider's public documents);
 * every other one (a sign-in's redirect, a health check, an error) is not, whichever
 * route or hook answered, so a route added later cannot forget it.
 */
export const UNCHOSEN_CACHE = 'no-store';

export function securityHeaders(app: FastifyInstance, headers: SecurityHeaders): void {
  app.addHook('onRequest', (_request, reply, done) => {
    headers.onto(reply.raw);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', UNCHOSEN_CACHE);
    done(null, payload);
  });
}
