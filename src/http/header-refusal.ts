// What a request's header lines must not be, whatever the route, the provider's included:
// refused before any hook reads them, on the public port and the metrics listener alike.
//
// Node keeps the first line of a header that may appear once and silently drops the rest
// (its "discard duplicates" list). A proxy, gateway or logger in front may have read
// another line: which client a request was for (two `Authorization` lines, RFC 6750 §3.1),
// which host, which body type, must not depend on who read which line, so a second line is
// a 400, as RFC 9110 §5.3 lets a server answer a list where a single value belongs.
//
// And a body is read only as it was sent: Gatehouse decodes no content coding, so a body
// labelled gzip (or anything but identity) is a 415 rather than bytes read as if plain
// (RFC 9110 §8.4.1); a transfer coding other than chunked, which Node's parser would read
// through as plain chunks, is a 501 (RFC 9112 §6.1).
//
// With a URL whose escapes are not UTF-8 (url-encoding.ts) this makes refusalBeforeRouting,
// the one check both ways into the public port ask (Fastify's first hook, the provider lane).
import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '../errors.ts';
import { escapesNotUtf8 } from './url-encoding.ts';

/**
 * The request headers Node keeps one line of (node:http's `matchKnownFields`), but Host
 * (checked on its own, below) and `Content-Length` (its parser refuses two itself).
 */
const SINGLE_LINE: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'content-type',
  'from',
  'if-modified-since',
  'if-unmodified-since',
  'max-forwards',
  'referer',
  'user-agent',
]);
/** Their names' lengths, Host's too: most lines of a request are passed over on their length alone, not lowercased. */
const WATCHED_LENGTHS: ReadonlySet<number> = new Set([4, ...[...SINGLE_LINE].map((name) => name.length)]);

/**
 * A Host header the protocol's authority grammar allows (RFC 9112 §3.2, RFC 3986 §3.2):
 * a bracketed IP literal or a registered name (unreserved, sub-delims, %-escapes), then
 * an optional port. Empty is allowed (an authority-less target).
 */
const HOST_VALUE = /^(?:\[[0-9A-Za-z:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/;

/**
 * Why the request's header lines must be refused, or undefined. Host: an HTTP/1.1 request
 * naming none (Node's own check is off: slow-clients.ts), naming it twice, or a value that
 * is no authority (RFC 9112 §3.2 asks for a 400). Gatehouse builds no link from Host (the
 * public URL is configured), but which host a request was for must not depend on who read
 * which line either.
 */
export function headerRefusal(request: IncomingMessage): ErrorCode | undefined {
  const { host } = request.headers;
  if (host === undefined) {
    if (request.httpVersion === '1.1') return 'request.no_host';
  } else if (!HOST_VALUE.test(host)) return 'request.bad_host';
  // rawHeaders alternates names and values, as sent; a plain loop, as it runs on every request.
  const raw = request.rawHeaders;
  let hosts = 0;
  let seen: string[] | undefined;
  for (let at = 0; at < raw.length; at += 2) {
    const sent = raw[at] as string;
    if (!WATCHED_LENGTHS.has(sent.length)) continue;
    const name = sent.toLowerCase();
    if (name === 'host') hosts += 1;
    else if (SINGLE_LINE.has(name)) {
      if (seen?.includes(name)) return 'request.header_repeated';
      (seen ??= []).push(name);
    }
  }
  if (hosts > 1) return 'request.bad_host';
  const coding = request.headers['content-encoding']?.trim().toLowerCase();
  if (coding && coding !== 'identity') return 'request.content_encoding';
  const transfer = request.headers['transfer-encoding'];
  if (transfer !== undefined && transfer.trim().toLowerCase() !== 'chunked') return 'request.transfer_coding';
  return undefined;
}

/**
 * What every request on the public port is refused for before anything routes or reads
 * it: its header lines (headerRefusal), and a URL whose percent-escapes are not UTF-8
 * (url-encoding.ts). Fastify's first hook asks it (app.ts), and the provider lane lets
 * through only a request it passes (provider-lane.ts): one answer to "may this be read".
 */
export function refusalBeforeRouting(request: IncomingMessage): ErrorCode | undefined {
  return headerRefusal(request) ?? (escapesNotUtf8(request.url) ? 'request.not_utf8' : undefined);
}
