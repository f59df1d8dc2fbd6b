// What the request log says about a request: never a secret. Sign Up, password-reset and
// email-confirm tokens travel in URL paths, the provider's codes and states in query
// strings, sessions in cookies, client secrets in Authorization headers. The log gets the
// method, the matched route, and the URL rebuilt from that route with every secret part
// replaced; headers are never logged. Allowlists, not denylists: a part is shown only
// when it is known to be harmless.
import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import { matchedRoute } from './route-guards.ts';
import { normalizeAddress } from './client-ip.ts';

export const REDACTED = '[redacted]';

/** Route parameters that name records, not secrets (`:token`, `:uid` and any new name stay hidden). */
const PUBLIC_PARAMS = new Set(['id', 'moduleId', 'handle']);

const RECORD_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16})$/;

/** Query parameters whose values are filters or protocol choices, never credentials. */
const PUBLIC_QUERY = new Set([
  'status', 'limit', 'before', 'beforeId', 'companyId', 'from', 'to', 'action', 'actor', 'tab',
  'client_id', 'response_type', 'response_mode', 'scope', 'prompt', 'max_age', 'redirect_uri',
  'post_logout_redirect_uri', 'code_challenge_method', 'ui_locales',
]);

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text; // not valid percent-encoding: judge the raw text
  }
}

/** Long enough to be a token, and spelled like one: not a word, a sentence or a URL. */
function looksLikeToken(text: string): boolean {
  const plain = decoded(text);
  return plain.length >= 16 && /^[A-Za-z0-9._~+/=-]+$/.test(plain) && !/^[a-z._-]+$/.test(plain);
}

/** Public identifiers that merely look like tokens: a module's client id. */
const PUBLIC_IDENTIFIERS = new Set(['client_id']);

/**
 * A path part no route names (a 404, or the provider's own paths under `/oidc/*`): words
 * such as `openid-configuration` are shown; anything spelled like a token is not.
 */
function freeSegment(segment: string): string {
  return looksLikeToken(segment) ? REDACTED : segment;
}

function freePath(rawPath: string): string {
  return rawPath.split('/').map(freeSegment).join('/');
}

function routedPath(pattern: string, params: Record<string, string | undefined>): string {
  return pattern
    .split('/')
    .map((part) => {
      if (part === '*') return freePath(params['*'] ?? '');
      if (!part.startsWith(':')) return part;
      const name = part.slice(1);
      const value = params[name] ?? '';
      // A record id is a UUID or a short hex handle; a token pasted in its place stays hidden.
      return PUBLIC_PARAMS.has(name) && (RECORD_ID.test(value) || !looksLikeToken(value)) ? encodeURIComponent(value) : REDACTED;
    })
    .join('/');
}

function redactedQuery(query: string): string {
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      if (eq === -1) return freeSegment(name);
      const value = pair.slice(eq + 1);
      return `${freeSegment(name)}=${PUBLIC_QUERY.has(name) && (PUBLIC_IDENTIFIERS.has(name) || !looksLikeToken(value)) ? value : REDACTED}`;
    })
    .join('&');
}

/** The URL as the log may show it: the matched route with its secret parts replaced. */
export function redactedUrl(request: FastifyRequest): { url: string; route: string | null } {
  const raw = request.raw.url ?? '/';
  const cut = raw.search(/[?#]/);
  const rawPath = cut === -1 ? raw : raw.slice(0, cut);
  const query = cut !== -1 && raw[cut] === '?' ? raw.slice(cut + 1).split('#')[0] ?? '' : '';
  const route = matchedRoute(request);
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  const path = route === undefined ? freePath(rawPath) : routedPath(route, params);
  return { url: query ? `${path}?${redactedQuery(query)}` : path, route: route ?? null };
}

function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    ...redactedUrl(request),
    host: request.host,
    remoteAddress: normalizeAddress(request.ip) ?? '[invalid]',
    remotePort: request.socket?.remotePort,
  };
}

/** The logger options with the redacting request serializer; `false` stays off. */
export function withLogRedaction(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return logger;
  const options = logger === true ? {} : logger;
  return { ...options, serializers: { ...options.serializers, req: requestForLog as never } };
}
