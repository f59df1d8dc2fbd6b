// Drives "Log In with Gatehouse" the way a module does, with a certified client library
// (openid-client), and walks the browser's redirects with a cookie-keeping agent.
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import type { Agent } from './agent.ts';
import type { TestServer } from './server.ts';

export const REDIRECT_URI = 'http://127.0.0.1:4999/callback';
export const POST_LOGOUT_URI = 'http://127.0.0.1:4999/bye';

export async function registerTestModule(
  operator: Agent,
  overrides: Partial<{ clientType: 'confidential' | 'public'; redirectUris: string[]; name: string }> = {},
) {
  const answer = await operator.post('/api/operator/modules', {
    name: overrides.name ?? 'Ticketing',
    description: 'Service desk',
    launchUrl: 'http://127.0.0.1:4999/',
    redirectUris: overrides.redirectUris ?? [REDIRECT_URI],
    postLogoutRedirectUris: [POST_LOGOUT_URI],
    clientType: overrides.clientType ?? 'confidential',
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body as { module: { id: string; clientId: string }; clientSecret: string | null };
}

export async function discover(server: TestServer, clientId: string, clientSecret: string | null) {
  const issuer = new URL('/oidc', server.baseUrl);
  return client.discovery(
    issuer,
    clientId,
    clientSecret ? { client_secret: clientSecret } : undefined,
    clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(),
    { execute: [client.allowInsecureRequests] },
  );
}

export interface AuthorizationStart {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(
  config: client.Configuration,
  extra: Record<string, string> = {},
): Promise<AuthorizationStart> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email company',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/**
 * Follows redirects like a browser until the module's redirect URI (returned) or a page
 * that is not a redirect (returned as the final response).
 */
export async function followRedirects(agent: Agent, start: URL | string, stopAt = REDIRECT_URI.split('/callback')[0] as string) {
  let next = new URL(start.toString(), agent.baseUrl);
  for (let hop = 0; hop < 15; hop++) {
    if (next.toString().startsWith(stopAt)) return { callback: next, final: undefined };
    const answer = await agent.get(next.pathname + next.search);
    const location = answer.headers.get('location');
    if (answer.status >= 300 && answer.status < 400 && location) {
      next = new URL(location, next);
      continue;
    }
    return { callback: undefined, final: answer, at: next };
  }
  throw new Error('too many redirects');
}

export async function redeem(config: client.Configuration, callback: URL, start: AuthorizationStart) {
  return client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: start.verifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
  });
}

export { client };
