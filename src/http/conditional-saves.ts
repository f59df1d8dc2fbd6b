// HTTP's side of conditional saves (src/shared/settings-version.ts): a settings answer
// carries its version as `ETag` (and as `version` in the body, for pages that read JSON
// only); a save sent with `If-Match` is made only if the settings are still that version,
// else 412 request.changed_meanwhile. Without If-Match a save is made as before: the
// fields sent merge into what is stored.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.ts';
import { ANY_VERSION, type ReadAt } from '../shared/settings-version.ts';
import { SAFE_METHODS } from './guards.ts';

// RFC 9110 §8.8.3: an entity tag is an optionally weak ("W/") quoted string of visible characters.
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e]*)"$/;

/** The versions a save may be made on: undefined when If-Match is absent, empty when none can match. */
export function ifMatchVersions(request: FastifyRequest): ReadAt {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return ANY_VERSION;
  const versions: string[] = [];
  for (const part of value.split(',')) {
    const tag = ENTITY_TAG.exec(part.trim());
    if (!tag) {
      throw new GatehouseError('request.invalid', {
        fields: { 'If-Match': 'Send the ETag of the answer the change was made on, in its quotes (or * for any).' },
      });
    }
    // If-Match compares strongly: a weak tag never matches (RFC 9110 §13.1.1).
    if (!tag[1]) versions.push(tag[2] ?? '');
  }
  // Only weak tags: an empty list, which no version matches (never an unconditional save).
  return versions;
}

/** Names the version of the settings in this answer (`ETag`), and gives it back for the body. */
export function answerVersion(reply: FastifyReply, version: string): string {
  reply.header('etag', `"${version}"`);
  return version;
}

/**
 * If-Match on a change whose route takes none (it declares no `if-match` header): refused,
 * not ignored. A client that sends it believes the change is conditional; made anyway, it
 * could undo someone else's. (A read may carry it: nothing is changed.)
 */
export function refuseIfMatchNotTaken(request: FastifyRequest): void {
  if (sentToChangeNotTaking(request, 'if-match')) throw new GatehouseError('request.not_conditional');
}

/**
 * Whether a change (not a read) was sent with header `name` while its route declares no
 * such header: a promise the route cannot keep (If-Match here, Idempotency-Key in
 * idempotent-creates.ts), to refuse rather than ignore.
 */
export function sentToChangeNotTaking(request: FastifyRequest, name: 'if-match' | 'idempotency-key'): boolean {
  if (request.headers[name] === undefined || SAFE_METHODS.has(request.method)) return false;
  const headers = request.routeOptions.schema?.headers as { shape?: Record<string, unknown> } | undefined;
  return !(headers?.shape && name in headers.shape);
}
