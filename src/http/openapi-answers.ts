// What each operation of the OpenAPI document answers besides its success, added once
// @fastify/swagger has made the document from the routes' schemas. Not in the routes'
// `response` schemas: Fastify would serialize the server's own refusals through them,
// and error-handler.ts alone writes those.
//
// On /api/v1 every refusal is RFC 9457 problem details (the `Problem` component), with the
// statuses an operation can really answer, read from what its route declares, so the next
// route is born with them:
//   every one      400 (a field refused, a bad URL or header), 401 (the bearer challenge),
//                  415 (a Content-Encoding; a body not JSON), 429 (the rate limit)
//   a scope        403 api.insufficient_scope
//   a path id      404 request.not_found (another company's id too)
//   If-Match       412 request.changed_meanwhile; ETag on its success, and on the GET of its path
//   Idempotency-Key  409 api.idempotency_in_progress, 422 api.idempotency_key_reused;
//                  Idempotent-Replayed on its success
//   config.refusals  what the handler itself refuses with (a 409 conflict above all)
// and a `default` for the rest (413, 500, 503 with Retry-After). Every answer may carry
// RateLimit and RateLimit-Policy: always, once the token was counted (the guard's rateLimit).
// The web app's own routes (/api outside /api/v1) answer `{ error: { code, message, fields? } }`
// for every refusal: their `default` (the `Error` component).
import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { problemDetails } from '../contract/api-v1.ts';
import { errorBody } from '../contract/common.ts';
import { GatehouseError, type ErrorCode } from '../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The refusals an /api/v1 route's own handler may answer that its declaration (scope,
     * path, headers) does not imply: above all its 409 conflicts. The OpenAPI document
     * lists their statuses and codes, and documents no 409 on a route without one.
     */
    refusals?: readonly ErrorCode[];
  }
}

type Header = { description: string; required: boolean; schema: { type: 'string'; enum?: string[] } };
type HeaderRef = { $ref: string };
type Answer = { description: string; headers?: Record<string, Header | HeaderRef>; content?: Record<string, { schema?: unknown }> };
type Operation = { parameters?: { in: string; name: string }[]; responses: Record<string, Answer> };
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown>; headers?: Record<string, Header>; responses?: Record<string, Answer> };
};

const API_V1 = '/api/v1/';
const READS = new Set(['GET', 'HEAD']);

const header = (description: string, required: boolean, values?: string[]): Header => ({
  description,
  required,
  schema: { type: 'string', ...(values ? { enum: values } : {}) },
});
const RATE_LIMIT = 'Requests this API client has left and the seconds until its count next falls: `"per-client";r=599;t=42`.';
const RATE_LIMIT_POLICY = 'The quota and its window in seconds: `"per-client";q=600;w=60`.';
const WWW_AUTHENTICATE = 'The bearer challenge (RFC 6750 §3): `Bearer realm="Gatehouse API"`, with `error="invalid_token"` or `error="insufficient_scope", scope="…"`.';
const RETRY_AFTER = 'The seconds to wait before trying again (always with `api.rate_limited` and `503 service.unavailable`).';

/**
 * The response headers, once each in the document's components (an answer names them by
 * reference; `required` is part of the header, so a header sent only sometimes is a second
 * component). A refusal made before the token was counted carries no rate headers.
 */
const HEADERS = {
  RateLimit: header(RATE_LIMIT, true),
  RateLimitPolicy: header(RATE_LIMIT_POLICY, true),
  RateLimitIfCounted: header(`${RATE_LIMIT} Not on a refusal made before the token was counted.`, false),
  RateLimitPolicyIfCounted: header(`${RATE_LIMIT_POLICY} Not on a refusal made before the token was counted.`, false),
  BearerChallenge: header(WWW_AUTHENTICATE, true),
  Challenge: header(`${WWW_AUTHENTICATE} On \`api.token_required\`, \`api.invalid_token\` and \`api.insufficient_scope\`.`, false),
  RetryAfter: header(RETRY_AFTER, false),
  ETag: header('The version answered, quoted: what If-Match takes.', true),
  IdempotentReplayed: header('`true` on the first answer given again to a repeated Idempotency-Key.', false, ['true']),
} as const;
const ref = (name: keyof typeof HEADERS): HeaderRef => ({ $ref: `#/components/headers/${name}` });

/** The rate headers: `counted` when the answer always comes after the guard counted the token (src/http/api-client-guard.ts). */
const rateHeaders = (counted: boolean): Record<string, HeaderRef> =>
  counted ? { RateLimit: ref('RateLimit'), 'RateLimit-Policy': ref('RateLimitPolicy') } : { RateLimit: ref('RateLimitIfCounted'), 'RateLimit-Policy': ref('RateLimitPolicyIfCounted') };

/**
 * One /api/v1 refusal status: what it means, the codes it answers, its headers, and the
 * name of the answer in the document's components when every operation that can give it
 * gives the same (an operation's own refusals make its answer its own).
 */
interface Refusal {
  name: string | undefined;
  meaning: string;
  codes: ErrorCode[];
  headers: Record<string, HeaderRef>;
}

const takesHeader = (operation: Operation, name: string) => operation.parameters?.some((p) => p.in === 'header' && p.name === name) ?? false;

/** The refusals an /api/v1 operation can answer, by status, read from its route and its place in the document. */
function refusalsOf(route: RouteOptions, method: string, operation: Operation): Map<string, Refusal> {
  const takes = (name: string) => takesHeader(operation, name);
  const own = route.config?.refusals ?? [];
  const reads = READS.has(method);
  const refusals = new Map<string, Refusal>();
  const add = (status: string, name: string | undefined, meaning: string, codes: ErrorCode[], headers: Record<string, HeaderRef>) =>
    refusals.set(status, { name, meaning, codes, headers });
  // Before the token is counted: a URL or a header line refused (app.ts), a Content-Encoding
  // (header-refusal.ts); so those answers may lack the rate headers.
  // A change refuses the If-Match or Idempotency-Key it does not take (route-guards.ts);
  // each mix of the two has its own shared answer.
  const conditional = takes('if-match');
  const keyed = takes('idempotency-key');
  const notTaken: ErrorCode[] = reads ? [] : [...(conditional ? [] : ['request.not_conditional' as const]), ...(keyed ? [] : ['request.not_idempotent' as const])];
  const badName = reads || (conditional && keyed) ? 'BadRequest' : conditional ? 'BadConditionalSave' : keyed ? 'BadCreate' : 'BadChange';
  add('400', badName, 'The request does not fit: `fields` names each field refused', ['request.invalid', 'request.not_utf8', 'request.header_repeated', ...notTaken], rateHeaders(false));
  add('401', 'Unauthenticated', 'No token, or one not valid (any more)', ['api.token_required', 'api.invalid_token'], { 'WWW-Authenticate': ref('BearerChallenge'), ...rateHeaders(false) });
  if (route.config?.scope || own.includes('api.insufficient_scope')) {
    add('403', 'MissingScope', 'Not allowed', ['api.insufficient_scope'], { 'WWW-Authenticate': ref('Challenge'), ...rateHeaders(true) });
  }
  if (route.url.includes(':')) add('404', 'NotFound', 'An id that does not exist, or that this API client may not reach', ['request.not_found'], rateHeaders(false));
  if (takes('idempotency-key')) add('409', 'IdempotencyKeyInUse', 'A conflict', ['api.idempotency_in_progress'], rateHeaders(true));
  if (takes('if-match')) add('412', 'ChangedMeanwhile', 'If-Match names a version no longer current, and nothing was saved', ['request.changed_meanwhile'], rateHeaders(true));
  if (reads) add('415', 'EncodedBody', 'A request body sent encoded', ['request.content_encoding'], rateHeaders(false));
  else add('415', 'NotJson', 'A body not JSON in UTF-8, or sent encoded', ['request.unsupported_media_type', 'request.content_encoding'], rateHeaders(false));
  if (takes('idempotency-key')) add('422', 'IdempotencyKeyReused', 'The Idempotency-Key was sent before with another request', ['api.idempotency_key_reused'], rateHeaders(true));
  add('429', 'RateLimited', 'Too many requests', ['api.rate_limited'], { 'Retry-After': ref('RetryAfter'), ...rateHeaders(true) });
  for (const code of own.filter((code) => code !== 'api.insufficient_scope')) {
    const status = String(new GatehouseError(code).status);
    const known = refusals.get(status);
    // A handler's own 401 comes without the bearer challenge (only the guard's refusals carry it).
    const headers = status === '401' ? { ...known?.headers, 'WWW-Authenticate': ref('Challenge') } : known?.headers;
    if (known) Object.assign(known, { name: undefined, codes: [...known.codes, code], headers });
    else add(status, undefined, status === '409' ? 'A conflict' : 'Refused', [code], rateHeaders(true));
  }
  return refusals;
}

const problem = (description: string, headers: Record<string, HeaderRef>): Answer => ({
  description,
  headers,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const OTHER_REFUSAL = problem('Any other refusal, such as `413 request.too_large`, `500 internal` or `503 service.unavailable` (with Retry-After).', {
  'Retry-After': ref('RetryAfter'),
  ...rateHeaders(false),
});

/** An /api/v1 operation's refusals and headers; the answers they share go into `shared`. */
function describeV1(route: RouteOptions, method: string, operation: Operation, siblings: Record<string, Operation>, shared: Record<string, Answer>): void {
  const takes = takesHeader;
  // The read of what a conditional save changes answers its version too (docs/API.md, Conditional saves).
  const versioned = takes(operation, 'if-match') || (method === 'GET' && Object.values(siblings).some((op) => takes(op, 'if-match')));
  for (const [status, answer] of Object.entries(operation.responses)) {
    if (!status.startsWith('2')) continue;
    answer.headers = {
      ...answer.headers,
      ...rateHeaders(true),
      ...(versioned ? { ETag: ref('ETag') } : {}),
      ...(takes(operation, 'idempotency-key') ? { 'Idempotent-Replayed': ref('IdempotentReplayed') } : {}),
    };
  }
  const answers: Record<string, Answer | { $ref: string }> = operation.responses;
  for (const [status, { name, meaning, codes, headers }] of refusalsOf(route, method, operation)) {
    const answer = problem(`${meaning}: ${codes.map((code) => `\`${code}\``).join(', ')}.`, headers);
    if (name === undefined) answers[status] = answer;
    else {
      shared[name] ??= answer;
      answers[status] = { $ref: `#/components/responses/${name}` };
    }
  }
  shared.OtherRefusal ??= OTHER_REFUSAL;
  answers.default = { $ref: '#/components/responses/OtherRefusal' };
}

/** A zod schema as the document's JSON Schema (2020-12, what a response carries). */
const jsonSchemaOf = (schema: z.ZodType) => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' });
  return rest;
};

const WEB_APP_REFUSAL: Answer = {
  description: 'A refusal: a stable code, a message safe to show, and a message per field refused (docs/API.md, Conventions).',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

/** Every operation's refusals and headers, added to the document @fastify/swagger made from `routes` (in place). */
export function describeAnswers(made: object, routes: readonly RouteOptions[]): void {
  const document = made as Document;
  const shared: Record<string, Answer> = {};
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, Problem: jsonSchemaOf(problemDetails), Error: jsonSchemaOf(errorBody) },
    headers: { ...document.components?.headers, ...HEADERS },
    responses: shared,
  };
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const operations = document.paths[path] ?? {};
    for (const method of [route.method].flat()) {
      const operation = operations[method.toLowerCase()];
      if (!operation) continue;
      if (route.url.startsWith(API_V1)) describeV1(route, method, operation, operations, shared);
      else {
        shared.WebAppRefusal ??= WEB_APP_REFUSAL;
        (operation.responses as Record<string, unknown>).default ??= { $ref: '#/components/responses/WebAppRefusal' };
      }
    }
  }
}
