// Request bodies are JSON, and JSON between systems is UTF-8 (RFC 8259 §8.1; its media
// type defines no charset). Fastify's own parser decoded a body as UTF-8 and put U+FFFD in
// for every byte that was not: "Café" sent as Latin-1 was saved as "Caf\uFFFD" with a
// 201, and its sender never knew. Here a body that is not UTF-8 is refused, and so is a
// charset naming another encoding, and so is a string escaping a lone surrogate; the rest
// is Fastify's own parser, its refusal of __proto__ and constructor keys included.
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../errors.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/** The charset a Content-Type names, lower-cased; undefined when it names none. */
function charsetOf(contentType: string | undefined): string | undefined {
  return contentType === undefined ? undefined : CHARSET.exec(contentType)?.[1]?.toLowerCase();
}

export function utf8JsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return done(new GatehouseError('request.unsupported_media_type'), undefined);
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      return done(new GatehouseError('request.not_utf8'), undefined);
    }
    parseJson(request, text, (error, value) => (error || wellFormed(value) ? done(error, value) : done(new GatehouseError('request.not_utf8'), undefined)));
  });
}

/**
 * Whether every string in a parsed body (keys too) is text UTF-8 can hold: an escape such
 * as "\udce9" names a lone surrogate, which JSON.parse keeps and the database writes as
 * U+FFFD, the same silent loss as a byte that is not UTF-8 (RFC 8259 §8.2).
 */
function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (Array.isArray(value)) return value.every(wellFormed);
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([key, inner]) => key.isWellFormed() && wellFormed(inner));
  return true;
}
