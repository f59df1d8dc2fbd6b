// API clients from the outside: companies made through the capabilities (no browser
// needed), client-credentials tokens from /oidc/token, and bearer calls to /api/v1.
import assert from 'node:assert/strict';
import http from 'node:http';
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

/** A fresh client's bearer token, for tests that only call /api/v1 with it. */
export async function clientToken(server: TestServer, input: Parameters<typeof apiClient>[1]) {
  const made = await apiClient(server, input);
  return tokenFor(server, made.client.clientId, made.clientSecret);
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

export interface StagedRequest {
  /** Sends the body; resolves with the answer. */
  send(): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }>;
}

/**
 * A bearer request to /api/v1 whose headers are sent now and whose JSON body waits for
 * send(): the guard decides on the headers alone (onRequest, before the body is read), so
 * a test can change the client between the guard and the handler.
 */
export function stageApi(server: Pick<TestServer, 'baseUrl'>, method: string, path: string, token: string, payload: unknown): StagedRequest {
  const body = Buffer.from(JSON.stringify(payload));
  const request = http.request(new URL(path, server.baseUrl), {
    method,
    agent: false,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': body.length },
  });
  const answered = new Promise<http.IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
  // Awaited by send(); an early failure is not an unhandled rejection meanwhile.
  answered.catch(() => {});
  request.flushHeaders();
  return {
    async send() {
      request.end(body);
      const response = await answered;
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const json = /^application\/(problem\+)?json/.test(response.headers['content-type'] ?? '') && text;
      return { status: response.statusCode ?? 0, headers: response.headers, body: json ? JSON.parse(text) : text };
    },
  };
}
