// An answer leaves only after what it was built from is on disk. With SQLite's group
// commit (src/storage/group-commit.ts) a write resolves only once committed, but a read
// can see another request's write while that write's batch is still open; an answer built
// from such a read waits here for the batch. On PostgreSQL nothing is ever pending and no
// hook is installed. The provider's answers (hijacked from Fastify) wait in its own
// middleware (src/modules/oidc/service.ts).
import type { FastifyInstance } from 'fastify';
import type { Durability } from '../storage/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    durabilityMark: number;
  }
}

/** Fastify's own answers (everything but the provider's, which are hijacked). */
export function durableAnswers(app: FastifyInstance, durability: Durability | undefined): void {
  if (!durability) return;
  app.decorateRequest('durabilityMark', 0);
  app.addHook('onRequest', (request, _reply, done) => {
    request.durabilityMark = durability.mark();
    done();
  });
  // A lost batch fails the answer (the error handler answers it) instead of sending it.
  // Callback style: most answers have nothing pending and go on without a promise.
  app.addHook('onSend', (request, _reply, payload, done) => {
    const pending = durability.settled(request.durabilityMark);
    if (!pending) return done(null, payload);
    pending.then(() => done(null, payload), (error: unknown) => done(error as Error));
  });
}
