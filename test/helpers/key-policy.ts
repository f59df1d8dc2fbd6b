// Company policies that hold users to keys, in tests. A person signed in with a passkey or
// security key: the key added in My Settings (with the password, in a session proved for
// it), then a new login at the code step with it. A Master may hold themselves to keys
// only from such a session (policy.key_sign_in_required), and only such sessions outlive
// the change; an API client of the company saves it with no session of its own.
import assert from 'node:assert/strict';
import type { Agent } from './agent.ts';
import { apiClient, sendApi, tokenFor } from './api-clients.ts';
import { STRONG_PASSWORD } from './journey.ts';
import type { TestServer } from './server.ts';
import { withFreshProof } from './step-up.ts';
import { SoftAuthenticator, type SoftAuthenticatorOptions } from './webauthn.ts';

/** Adds a key to `person`'s account from their signed-in `agent`; answers the key. */
export async function keyAdded(server: TestServer, agent: Agent, options: SoftAuthenticatorOptions = {}) {
  const key = new SoftAuthenticator(server.baseUrl, options);
  const start = await withFreshProof(server, agent, () => agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD }));
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const added = await agent.post('/api/me/security-keys', { name: 'Desk key', response: key.register(start.body) });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  return key;
}

/** A new browser of `person` signed in with the password and `key` at the code step (amr pwd, hwk, user). */
export async function keyLogIn(server: TestServer, person: { username: string; companyName: string }, key: SoftAuthenticator): Promise<Agent> {
  const agent = server.agent();
  assert.equal((await agent.post('/api/login/identify', { username: person.username, companyName: person.companyName })).status, 200);
  const answer = await agent.post('/api/login/password', { password: STRONG_PASSWORD });
  assert.equal(answer.body.step, 'totp', JSON.stringify(answer.body));
  const options = await agent.post('/api/login/key/options');
  assert.equal(options.status, 200, JSON.stringify(options.body));
  const done = await agent.post('/api/login/key', { response: key.assert(options.body) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return agent;
}

/** `person` adds a key from `agent`, then signs in with it in a new browser: that browser, and the key. */
export async function signedInWithKey(server: TestServer, agent: Agent, person: { username: string; companyName: string }) {
  const key = await keyAdded(server, agent);
  return { agent: await keyLogIn(server, person, key), key };
}

/** A setter of `companyId`'s policy through an API client of the company (policy:write; no session, no step-up). */
export async function policyByClient(server: TestServer, companyId: string) {
  const { client, clientSecret } = await apiClient(server, { scopes: ['policy:write'], companyId });
  return async (change: object) => {
    const answer = await sendApi(server, 'POST', `/api/v1/companies/${companyId}/policy`, await tokenFor(server, client.clientId, clientSecret), change);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
}
