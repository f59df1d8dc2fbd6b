// Step-up before a sensitive change (src/http/audiences.ts, docs/SECURITY.md): a session
// proved more than 10 minutes ago answers 403 reauth.required until it proves again.
import assert from 'node:assert/strict';
import type { Agent, Answer } from './agent.ts';
import { proofOf } from './proof.ts';
import type { TestServer } from './server.ts';

/** Proves `person`'s session again (password and a fresh code): sensitive changes work for 10 minutes. */
export async function proveSession(server: TestServer, person: { agent: Agent; totpSecret: string }) {
  const proved = await person.agent.post('/api/me/reauth', proofOf(server, person));
  assert.equal(proved.status, 200, JSON.stringify(proved.body));
  return proved.body as { provedUntil: string };
}

// The authenticator secret each agent logged in with (journey.ts logIn), so a set-up
// helper can prove a session a test made stale by moving the clock.
const secrets = new WeakMap<Agent, string>();

export function rememberSecret(agent: Agent, totpSecret: string): void {
  secrets.set(agent, totpSecret);
}

export const needsProof = (answer: Answer) => answer.status === 403 && answer.body?.error?.code === 'reauth.required';

/**
 * A set-up step that is a sensitive change: made as is, and when the session's proof went
 * stale (the test moved the clock more than 10 minutes), proved again and made once more.
 * For set-up only: a test of step-up itself asserts the 403.
 */
export async function withFreshProof(server: TestServer, agent: Agent, change: () => Promise<Answer>): Promise<Answer> {
  const first = await change();
  if (!needsProof(first)) return first;
  const totpSecret = secrets.get(agent);
  assert.ok(totpSecret, 'this agent did not log in through logIn: prove it with proveSession');
  await proveSession(server, { agent, totpSecret });
  return change();
}
