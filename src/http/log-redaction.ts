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

/**
 * The characters of every secret Gatehouse puts in a URL: base64url (link tokens, client
 * secrets) and nanoid's URL alphabet (the provider's uids and codes), the same set. Any
 * other character ends a run: '/', '.', '%', ';', '!', a space...
 *
 * 16 or more: the shortest of those secrets is 43 characters (client ids, 25 and 28, are
 * public), so a token with a stray character anywhere in it still has its longer part
 * hidden and shows at most 15 characters of the rest; ordinary words of that length
 * ('openid-configuration', 'transfer-root-master') are spared by READABLE_WORDS, while
 * UUIDs and hex handles are hidden as before outside their own route parameters.
 */
const SECRET_RUN = /[A-Za-z0-9_-]{16,}/g;

/** Lowercase words joined by '-' or '_': a route's or a filter's name, not random text. */
const READABLE_WORDS = /^[a-z]+(?:[-_][a-z]+)*$/;

/** One character of the URL as sent; an ASCII percent-escape stands for the character it encodes. */
const URL_UNIT = /%[0-7][0-9A-Fa-f]|[\s\S]/g;

const decodedUnit = (unit: string) => (unit.length === 3 ? String.fromCharCode(Number.parseInt(unit.slice(1), 16)) : unit);

/** ASCII escapes decoded once (the text a run is looked for in). */
const decodedOnce = (text: string) => (text.match(URL_UNIT) ?? []).map(decodedUnit).join('');

/**
 * Text escaped more than once (`%2541%2542...` is `%41%42...` once decoded, a token twice):
 * decoded until nothing changes (a few rounds at most), it holds a secret-shaped run. No
 * link or code of Gatehouse is escaped twice, so such a piece is hidden whole: mapping a run
 * back through nested escapes to the raw text is not worth what it would show.
 */
function hidesEscapedSecret(plain: string): boolean {
  let text = plain;
  for (let round = 0; round < 4; round++) {
    const next = decodedOnce(text);
    if (next === text) return round > 0 && [...text.matchAll(SECRET_RUN)].some((run) => !READABLE_WORDS.test(run[0]));
    text = next;
  }
  return true;
}

/**
 * URL text as sent, each run of secret characters replaced by REDACTED. Runs are found in
 * the text with its ASCII escapes decoded (a token spelled `%41bc...` is one run), so a
 * run in the raw text is always inside one found there, and the raw units it spans are
 * what is replaced: the rest of the text, stray '%' included, reads as it was sent.
 */
function withoutSecrets(raw: string): string {
  const units = raw.match(URL_UNIT) ?? [];
  const plain = units.map(decodedUnit).join('');
  if (hidesEscapedSecret(plain)) return REDACTED;
  let shown = '';
  let from = 0;
  for (const run of plain.matchAll(SECRET_RUN)) {
    if (READABLE_WORDS.test(run[0])) continue;
    shown += units.slice(from, run.index).join('') + REDACTED;
    from = run.index + run[0].length;
  }
  return shown + units.slice(from).join('');
}

/** Module and API client ids (`gh_`, `ghapi_` and 22 characters): public, though spelled like tokens. */
const CLIENT_ID = /^gh(?:api)?_[A-Za-z0-9_-]{22}$/;

/** A path no route names (a 404, the provider's own paths under `/oidc/*`): its words stay. */
function freePath(rawPath: string): string {
  return rawPath.split('/').map(withoutSecrets).join('/');
}

function routedPath(pattern: string, params: Record<string, string | undefined>): string {
  return pattern
    .split('/')
    .map((part) => {
      if (part === '*') return freePath(params['*'] ?? '');
      if (!part.startsWith(':')) return part;
      const name = part.slice(1);
      if (!PUBLIC_PARAMS.has(name)) return REDACTED;
      // A record id is a UUID or a short hex handle; a token pasted in its place stays hidden.
      const value = encodeURIComponent(params[name] ?? '');
      return RECORD_ID.test(value) ? value : withoutSecrets(value);
    })
    .join('/');
}

function shownQueryValue(name: string, value: string): string {
  if (!PUBLIC_QUERY.has(name)) return REDACTED;
  return name === 'client_id' && CLIENT_ID.test(value) ? value : withoutSecrets(value);
}

function redactedQuery(query: string): string {
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return withoutSecrets(pair);
      const name = pair.slice(0, eq);
      return `${withoutSecrets(name)}=${shownQueryValue(name, pair.slice(eq + 1))}`;
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
