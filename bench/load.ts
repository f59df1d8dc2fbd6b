// The load generator, in its own process (pinned to its own core by run.ts). It reads one
// job from the JSON file named on its command line and prints `result <json>`.
// Stateless endpoints go through autocannon; logins, which walk redirects and carry
// cookies and TOTP codes, through a closed loop of N concurrent users.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { OidcFixture } from './targets/protocol.ts';
import { betterAuthLogin, gatehouseModuleLogin, TotpBudget, type LoginTokens } from './logins.ts';

export type Endpoint = 'client_credentials' | 'introspection' | 'userinfo' | 'refresh';

export type Job =
  | { kind: 'endpoint'; endpoint: Endpoint; oidc: OidcFixture; seconds: number; connections: number; rate?: number }
  | { kind: 'gatehouse-login' | 'better-auth-login'; baseUrl: string; users: import('./targets/protocol.ts').LoginUser[]; oidc?: OidcFixture; redirectUri?: string; seconds: number; concurrency: number };

export interface LoadResult {
  perSecond: number;
  p50ms: number;
  p99ms: number;
  completed: number;
  failed: number;
  firstFailure?: string;
  tokens?: { accessTokens: string[]; refreshTokens: string[] };
}

const basic = (oidc: OidcFixture) => `Basic ${Buffer.from(`${encodeURIComponent(oidc.clientId)}:${encodeURIComponent(oidc.clientSecret)}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

function endpointRequest(endpoint: Endpoint, oidc: OidcFixture): autocannon.Options['requests'] {
  let next = 0;
  const pick = (list: string[]) => list[next++ % list.length] as string;
  switch (endpoint) {
    case 'client_credentials':
      return [{ method: 'POST', path: new URL(oidc.tokenEndpoint).pathname, headers: { authorization: basic(oidc), 'content-type': FORM }, body: 'grant_type=client_credentials' }];
    case 'introspection':
      return [
        {
          method: 'POST',
          path: new URL(oidc.introspectionEndpoint).pathname,
          setupRequest: (req) => ({ ...req, headers: { authorization: basic(oidc), 'content-type': FORM }, body: `token=${pick(oidc.accessTokens)}` }),
        },
      ];
    case 'userinfo':
      return [{ method: 'GET', path: new URL(oidc.userinfoEndpoint).pathname, setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${pick(oidc.accessTokens)}` } }) }];
    case 'refresh': {
      // A refresh token is used once (rotation): each request takes an unused one and a
      // success puts the new one back. (autocannon's per-connection context is reset
      // before every request when there is one request in the list, so it cannot carry it.)
      const unused = [...oidc.refreshTokens];
      return [
        {
          method: 'POST',
          path: new URL(oidc.tokenEndpoint).pathname,
          setupRequest: (req) => ({ ...req, headers: { authorization: basic(oidc), 'content-type': FORM }, body: `grant_type=refresh_token&refresh_token=${unused.shift() ?? ''}` }),
          onResponse: (status, body) => {
            if (status === 200) unused.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
          },
        },
      ];
    }
  }
}

async function runEndpoint(job: Extract<Job, { kind: 'endpoint' }>): Promise<LoadResult> {
  const origin = new URL(job.oidc.issuer).origin;
  let firstFailure: string | undefined;
  // Remember the first refusal, so a broken run says why.
  const requests = (endpointRequest(job.endpoint, job.oidc) ?? []).map((request) => ({
    ...request,
    onResponse: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => {
      if (status >= 300) firstFailure ??= `${status} ${body.slice(0, 200)}`;
      request.onResponse?.(status, body, context, headers);
    },
  }));
  const result = await autocannon({
    url: origin,
    connections: job.connections,
    duration: job.seconds,
    requests,
    initialContext: {},
    ...(job.rate ? { overallRate: job.rate } : {}),
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  return {
    perSecond: Math.round(result['2xx'] / job.seconds),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    completed: result['2xx'],
    failed,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

function percentile(sorted: number[], p: number) {
  return Number((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0).toFixed(1));
}

async function runLogins(job: Extract<Job, { kind: 'gatehouse-login' | 'better-auth-login' }>): Promise<LoadResult> {
  const budget = new TotpBudget(job.users);
  const latencies: number[] = [];
  const tokens: LoginTokens[] = [];
  let failed = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const until = started + job.seconds * 1000;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (performance.now() < until) {
        const turn = budget.take();
        if (!turn) break; // every user has used the codes this window allows
        const t = performance.now();
        try {
          if (job.kind === 'gatehouse-login') tokens.push(await gatehouseModuleLogin(job.baseUrl, job.oidc as OidcFixture, job.redirectUri as string, turn));
          else await betterAuthLogin(job.baseUrl, turn);
          latencies.push(performance.now() - t);
        } catch (error) {
          failed += 1;
          firstFailure ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Number((latencies.length / seconds).toFixed(1)),
    p50ms: percentile(latencies, 50),
    p99ms: percentile(latencies, 99),
    completed: latencies.length,
    failed,
    ...(firstFailure ? { firstFailure } : {}),
    ...(job.kind === 'gatehouse-login'
      ? { tokens: { accessTokens: tokens.map((t) => t.accessToken), refreshTokens: tokens.map((t) => t.refreshToken) } }
      : {}),
  };
}

const job = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Job;
const result = job.kind === 'endpoint' ? await runEndpoint(job) : await runLogins(job);
process.stdout.write(`result ${JSON.stringify(result)}\n`);
