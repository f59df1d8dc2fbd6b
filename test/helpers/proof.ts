// The proof a signed-in person gives before a sensitive change (src/login/reauth.ts): the
// password and a code from a later time step than any used before (a code works once).
import { STRONG_PASSWORD } from './journey.ts';
import type { TestServer } from './server.ts';
import { totpAt } from './totp.ts';

export function proofOf(server: TestServer, person: { totpSecret: string }, password = STRONG_PASSWORD) {
  server.clock.advance(30_000);
  return { password, code: totpAt(person.totpSecret, server.clock()) };
}
