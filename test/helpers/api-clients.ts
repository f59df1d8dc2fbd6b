// API clients from the outside: companies made through the capabilities (no browser
// needed), client-credentials tokens from /oidc/token, and bearer calls to /api/v1.
import assert from 'node:assert/strict';
import { createApiClient } from '../../src/api-clients/index.ts';
import { approveAccountRequest, submitAccountRequest } from '../../src/companies/index.ts';
import type { TestServer } from './server.ts';

const NO_META = { ip: null, userAgent: null };

/** An approved company (its Root Master invited, with the username given). */
export async function company(server: TestServer, name: string, username: string) {
  const { deps } = server.gatehouse;
  const request = await submitAccountRequest(
    deps.db,
    { companyName: name, contactName: 'Dana Root', email: `${username}@${username}.test`, phone: '+1 555 0100' },
    'public',
    deps.clock(),
  );
  return approveAccountRequest(deps, request.id, { username, operatorId: 'cli' }, NO_META);
}

export async function apiClient(server: TestServer, input: { name?: string; scopes: string[]; companyId: string | null; expiresInDays?: number }) {
  return createApiClient(server.gatehouse.deps, { name: input.name ?? 'PSA sync', ...input }, { actorId: 'cli', meta: NO_META });
}

export interface TokenAnswer {
  status: number;
  body: { access_token?: string; scope?: string; token_type?: string; expires_in?: number; error?: string };
}

/** POST /oidc/token with client credentials, the secret in a Basic header or in the body. */
export async function requestToken(
  server: Pick<TestServer, 'baseUrl'>,
  clientId: string,
  secret: string,
  options: { via?: 'basic' | 'post'; scope?: string } = {},
): Promise<TokenAnswer> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (options.scope !== undefined) form.set('scope', options.scope);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.via === 'post') {
    form.set('client_id', clientId);
    form.set('client_secret', secret);
  } else {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  }
  const response = await fetch(new URL('/oidc/token', server.baseUrl), { method: 'POST', headers, body: form });
  return { status: response.status, body: (await response.json()) as TokenAnswer['body'] };
}

export async function tokenFor(server: TestServer, clientId: string, secret: string, options: { via?: 'basic' | 'post'; scope?: string } = {}) {
  const answer = await requestToken(server, clientId, secret, options);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.ok(answer.body.access_token);
  return answer.body.access_token;
}

export async function callApi(server: TestServer, path: string, token: string | undefined, headers: Record<string, string> = {}) {
  return sendApi(server, 'GET', path, token, undefined, headers);
}

/** A bearer call to /api/v1 with any method; a body goes as JSON. */
export async function sendApi(server: Pick<TestServer, 'baseUrl'>, method: string, path: string, token: string | undefined, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(new URL(path, server.baseUrl), {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const text = await response.text();
  // JSON answers, and RFC 9457 problem details (application/problem+json) for errors.
  const body = /^application\/(problem\+)?json/.test(response.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body };
}
