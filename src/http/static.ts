// Serves the built web app. Hashed assets are cached for a year; index.html never is, nor
// kept at all (DOCUMENT_CACHE below).
// index.html answers only the web app's own client routes, and only a page navigation:
// any other path gets 404 in the API's error shape, so a monitor or an OAuth client that
// asks for something Gatehouse does not serve sees a failure, not the app's HTML.
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.ts';
import { sendError } from './error-handler.ts';

/**
 * The paths web/src/App.tsx routes, in Fastify's syntax. The server's mails link to the
 * ones with a token; a route's `:token` also tells the log redaction what to hide.
 */
export const WEB_APP_ROUTES = [
  '/',
  '/login',
  '/request-account',
  '/signup/:token',
  '/operator',
  '/company',
  '/settings',
  '/reset-password/:token',
  '/confirm-email/:token',
  '/cancel-email/:token',
] as const;

/**
 * A top-level page load: browsers say `Sec-Fetch-Dest: document`; without that header
 * (older browsers, curl) the request must accept HTML. A script's fetch, an image or a
 * JSON client gets the 404 instead of a page that would parse as success.
 */
function isPageNavigation(request: FastifyRequest): boolean {
  const dest = request.headers['sec-fetch-dest'];
  if (dest !== undefined) return dest === 'document';
  const accept = request.headers.accept;
  return accept === undefined || /text\/html|\*\/\*/i.test(accept);
}

/**
 * The app's HTML, every time it is served (a page, the "Page not found" page, /index.html):
 * `no-store`, not `no-cache`. The document is where secrets are shown (new recovery codes,
 * an API client's secret, the authenticator's QR code and key) and a signed-in person's
 * data lives in memory; browsers keep a `no-cache` document in the back/forward cache, so
 * after the person signed out (or the session ended) and the tab moved on, Back brought
 * the page back whole, secrets on screen. A `no-store` document is not restored once the
 * site's cookies changed (Chromium), or at all (Firefox, Safari). It is 1 KB; the hashed
 * assets it loads stay cached.
 */
export const DOCUMENT_CACHE = 'no-store';

/** Paths only programs ask for: never answered with the app, even to a browser. */
export const MACHINE_PATHS = /^\/(api|oidc|oidc-interaction|\.well-known|health|healthz|readyz|assets)(?:[/?#]|$)|^[^?#]*\.[A-Za-z0-9]+(?:[?#]|$)/;

/** A browser's page load (it says so, or asks for HTML by name): not curl's bare `*\/*`. */
function isHumanNavigation(request: FastifyRequest): boolean {
  const dest = request.headers['sec-fetch-dest'];
  if (dest !== undefined) return dest === 'document';
  return /text\/html/i.test(request.headers.accept ?? '');
}

export async function serveWebApp(app: FastifyInstance, webDist: string) {
  const hasBuild = existsSync(path.join(webDist, 'index.html'));
  if (hasBuild) {
    await app.register(fastifyStatic, {
      root: webDist,
      wildcard: false,
      index: false,
      setHeaders: (res, filePath) => {
        res.header(
          'cache-control',
          filePath.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : DOCUMENT_CACHE,
        );
      },
    });
  }
  // A person who mistypes an address sees the app's own "Page not found", still with
  // status 404; machines (the API, the provider, metadata, health, files) get JSON.
  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    if (hasBuild && request.method === 'GET' && isHumanNavigation(request) && !MACHINE_PATHS.test(request.url)) {
      return reply.status(404).header('cache-control', DOCUMENT_CACHE).header('vary', 'sec-fetch-dest, accept').sendFile('index.html');
    }
    return sendError(reply, new GatehouseError('request.not_found'));
  };
  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    // The router lets `/signup/` fill `:token` with nothing; the app has no such page.
    const emptyParam = Object.values(request.params as Record<string, string>).includes('');
    if (emptyParam) return notFound(request, reply);
    if (!hasBuild || !isPageNavigation(request)) return sendError(reply, new GatehouseError('request.not_found'));
    return reply.header('cache-control', DOCUMENT_CACHE).header('vary', 'sec-fetch-dest, accept').sendFile('index.html');
  };
  for (const route of WEB_APP_ROUTES) app.get(route, page);
  app.setNotFoundHandler(notFound);
}
