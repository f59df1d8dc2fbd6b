// The Idempotency-Key header on a create, for every audience that takes one: /api/v1 (keys
// per API client) and the web app's own routes (keys per signed-in user), on the one
// ledger logic of api-clients/idempotency.ts. docs/API.md, "Idempotency keys".
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.ts';
import { sentToChangeNotTaking } from './conditional-saves.ts';
import { runOnce, type KeyOwner, type StoredAnswer } from '../api-clients/index.ts';
import type { CoreDeps } from '../shared/deps.ts';

/**
 * Runs a create's `work` at most once per key, answering a repeat with the first answer.
 * `comparedBody`: the part of the body that makes two requests "the same" (default: all of
 * it). A create that asks for proof leaves the proof out: a retry after a lost answer comes
 * with a fresh code (the first one is spent) and is still the same create.
 */
export type IdempotentCreate = (
  request: FastifyRequest,
  reply: FastifyReply,
  work: () => Promise<StoredAnswer>,
  comparedBody?: unknown,
) => Promise<FastifyReply>;

/**
 * A create that honours an Idempotency-Key header: without one it just runs; with one, a
 * repeat from the same owner answers the first result with Idempotent-Replayed. The route's
 * schema checks the header's form (idempotencyHeaders, src/contract/api-v1.ts).
 */
export function idempotentCreates(deps: CoreDeps, ownerOf: (request: FastifyRequest) => KeyOwner): IdempotentCreate {
  const digestKey = deps.deriveKey('idempotency-requests');
  return async (request, reply, work, comparedBody = request.body) => {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string') {
      const answer = await work();
      return reply.status(answer.status).send(answer.body);
    }
    // The request as the route read it (ids lowercased, the query parsed), not as it was
    // spelled: a retry naming the company in capitals is the same request.
    const route = `${request.method} ${request.routeOptions.url} ${JSON.stringify(request.params ?? {})} ${JSON.stringify(request.query ?? {})}`;
    const answer = await runOnce(deps.db, { ...ownerOf(request), key, route, body: comparedBody, digestKey }, deps.clock(), work);
    if (answer.replayed) reply.header('idempotent-replayed', 'true');
    return reply.status(answer.status).send(answer.body);
  };
}

/**
 * An Idempotency-Key on a change whose route keeps no answer (it declares no
 * `idempotency-key` header): refused, not ignored, as If-Match is (conditional-saves.ts).
 * A client that sends it believes a repeat is safe; run again, the change would be made
 * twice (a second Sign Up link mailed, a session list ended again) with no word of it.
 */
export function refuseIdempotencyKeyNotTaken(request: FastifyRequest): void {
  if (sentToChangeNotTaking(request, 'idempotency-key')) throw new GatehouseError('request.not_idempotent');
}
