// One place renders every error. Registered errors show their own safe message; a
// database outage is a generic 503; a value the database cannot hold is the request's 400;
// anything else is a generic 500 and is logged.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, type ErrorCode } from '../errors.ts';
import { describeDatabaseError, isDatabaseUnavailable, isTransactionConflict, isUnrepresentableValue } from '../storage/index.ts';
import { API_V1, isUnder, matchedRoute } from './route-guards.ts';
import { UNCHOSEN_CACHE, type SecurityHeaders } from './security-headers.ts';
import { escapesNotUtf8 } from './url-encoding.ts';
import { bearerChallenge } from './bearer-challenge.ts';

/** About one pool connection timeout: long enough for a failover or a restart to finish. */
const RETRY_AFTER_SECONDS = 5;

function fromFramework(error: FastifyError): GatehouseError | undefined {
  const status = error.statusCode ?? 500;
  if (status === 413) return new GatehouseError('request.too_large');
  if (status === 415) return new GatehouseError('request.unsupported_media_type');
  if (status >= 400 && status < 500) return new GatehouseError('request.invalid', { fields: { _: 'The request could not be read.' } });
  return undefined;
}


export function sendError(reply: FastifyReply, error: GatehouseError) {
  reply.status(error.status).header('cache-control', 'no-store');
  // Every 503 says when to come back, whichever capability refused (an outage, a busy check).
  // A missing scope is answered with its challenge (RFC 6750 §3.1), wherever it was refused.
  if (error.code === 'api.insufficient_scope' && !reply.hasHeader('www-authenticate')) {
    reply.header('www-authenticate', bearerChallenge({ error: 'insufficient_scope', ...(error.scope ? { scope: error.scope } : {}) }));
  }
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  if (error.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  // The versioned API speaks RFC 9457 problem details, /api/v1 itself included; the web app's routes keep their shape.
  if (isUnder(matchedRoute(reply.request) ?? pathAsRouted(reply.request.url), API_V1)) {
    return reply.type('application/problem+json').send(problemOf(error));
  }
  const body: { error: { code: ErrorCode; message: string; fields?: Record<string, string> } } = {
    error: { code: error.code, message: error.message },
  };
  if (error.fields) body.error.fields = error.fields;
  return reply.send(body);
}

/**
 * The path an unmatched request names, read as the router reads paths: absolute form and
 * dot segments resolved, percent-encoding decoded, repeated slashes collapsed. So every
 * spelling of an unknown /api/v1 path gets the problem shape, not only the plain one.
 */
function pathAsRouted(url: string): string {
  // Joined, not resolved: a request target of `//api/...` is a path, not another host.
  try {
    const path = new URL(/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `http://gatehouse.invalid${url}`).pathname;
    return decodeURIComponent(path).replace(/\/{2,}/g, '/');
  } catch {
    // A target no URL parser takes, or a malformed escape: judge the path as written.
    return url;
  }
}

/** `type` names the error for good (a stable URN per code); `code` and `fields` are extension members. */
function problemOf(error: GatehouseError) {
  return {
    type: `urn:gatehouse:error:${error.code}`,
    title: error.message,
    status: error.status,
    code: error.code,
    ...(error.fields ? { fields: error.fields } : {}),
  };
}

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof GatehouseError) return sendError(reply, error);
  // An outage, or a conflict that outlasted its retries: the request may well work in a
  // moment, so 503 and Retry-After rather than 500. Logged as code and message only.
  if (isDatabaseUnavailable(error) || isTransactionConflict(error)) {
    request.log.warn({ database: describeDatabaseError(error) }, 'database unavailable');
    return sendError(reply, new GatehouseError('service.unavailable'));
  }
  // A character PostgreSQL cannot hold (a NUL) that got past the contract's text rules
  // (src/contract/fields.ts), which refuse it first: bad input, so 400, never a 500 a
  // client could provoke at will (SECURITY-CHECKS H.29). Logged, as it means a field
  // without its rule.
  if (isUnrepresentableValue(error)) {
    request.log.warn({ database: describeDatabaseError(error) }, 'a request value the database cannot hold');
    return sendError(reply, new GatehouseError('request.invalid', { fields: { _: 'The request contains characters that are not allowed.' } }));
  }
  const known = fromFramework(error);
  if (known) return sendError(reply, known);
  request.log.error({ err: error }, 'unhandled error');
  return sendError(reply, new GatehouseError('internal'));
}

/**
 * Router-level rejections (a malformed or over-long URL part) come before any hook: they
 * get the same error shape and the same security headers as every other answer, and never
 * echo the URL back as Fastify's default does. A path the router could not decode because
 * its escapes are not UTF-8 is request.not_utf8, as the same URL's query is (app.ts).
 */
export function frameworkErrorHandler(headers: SecurityHeaders) {
  return function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    headers.onto(reply.raw);
    return sendError(reply, new GatehouseError(frameworkRefusal(error, request.raw.url)));
  };
}

function frameworkRefusal(error: FastifyError, url: string | undefined): ErrorCode {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return 'request.not_found';
  if (error.code === 'FST_ERR_BAD_URL' && escapesNotUtf8(url)) return 'request.not_utf8';
  return 'request.invalid';
}

/**
 * The refusals Node would otherwise write itself, bare, answered like every other: an
 * `Expect` header other than `100-continue` (417; the listener's `checkExpectation`
 * event), and, through headerRefusal (header-refusal.ts), a request whose header lines it would read wrongly.
 */
export function refuseLikeNode(headers: SecurityHeaders) {
  return function answerExpectation(_request: IncomingMessage, response: ServerResponse): void {
    headers.onto(response);
    writeRefusal(response, 'request.expectation_failed');
  };
}

/** A refusal in the API's error shape, on a plain Node answer (the security headers already on it). */
export function writeRefusal(response: ServerResponse, code: ErrorCode): void {
  const refused = new GatehouseError(code);
  const body = JSON.stringify({ error: { code, message: refused.message } });
  response
    .writeHead(refused.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': UNCHOSEN_CACHE, 'content-length': Buffer.byteLength(body) })
    .end(body);
}

/**
 * What Node's HTTP parser refuses (a malformed header or request line, headers over the
 * size limit, a request slower than the timeout) is answered on the socket before any of
 * Fastify's hooks can run: here with the same error shape and security headers as every
 * other answer (Fastify's own answer carried none), then the connection is closed.
 */
export function parserErrorHandler(headers: SecurityHeaders) {
  return function answerParserError(error: NodeJS.ErrnoException, socket: Duplex): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const code: ErrorCode = error.code === 'HPE_HEADER_OVERFLOW' ? 'request.headers_too_large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request.timeout' : 'request.unreadable';
    const refused = new GatehouseError(code);
    const body = JSON.stringify({ error: { code, message: refused.message } });
    const head = [
      `HTTP/1.1 ${refused.status} ${STATUS_CODES[refused.status] ?? ''}`,
      ...headers.lines,
      `cache-control: ${UNCHOSEN_CACHE}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
    ];
    // Not into an answer already on its way (a pipelined request broke behind a download):
    // its headers are sent, so these bytes would land inside its body. As Node's own does.
    const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !answering?.headersSent) socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
    socket.destroy(error);
  };
}
