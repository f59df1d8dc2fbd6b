// The load generator: one long-lived process for the whole run (pinned to its own core by
// the harness), so a run pays for loading it once, not once a load. It speaks the targets'
// protocol (targets/protocol.ts): `register` hands it a target's fixtures, then `login` and
// `endpoint` run one load each against that target and answer with the result. It keeps
// what a target's logins return (tokens for the endpoints) and which TOTP codes it has used.
// Stateless endpoints go through autocannon; logins, which walk redirects and carry
// cookies and TOTP codes, through a closed loop of N concurrent users.
import autocannon from 'autocannon';
import { announce, serveUntilParentLeaves, type LoginUser, type OidcFixture, type TargetReady } from './targets/protocol.ts';
import { betterAuthLogin, gatehouseModuleLogin, TotpBudget, type LoginTokens } from './logins.ts';
import { windowRate } from './window.ts';

export type Endpoint = 'client_credentials' | 'introspection' | 'userinfo' | 'refresh';

/** Jobs as the harness sends them; `target` names a registered target. */
export interface EndpointJob {
  target: string;
  endpoint: Endpoint;
  /** The load runs warmUpSeconds + seconds without a break; only the last `seconds` count. */
  warmUpSeconds: number;
  seconds: number;
  connections: number;
  /** Requests per second for all connections together (a paced run); flat out without. */
  rate?: number;
}
export interface LoginJob {
  target: string;
  flavour: 'gatehouse' | 'better-auth';
  /** Logins run for warmUpSeconds + seconds without a break; only the last `seconds` count. */
  warmUpSeconds: number;
  seconds: number;
  concurrency: number;
}

export interface LoadResult {
  perSecond: number;
  p50ms: number;
  p99ms: number;
  completed: number;
  failed: number;
  firstFailure?: string;
  /** Connections (or concurrent users) the load actually used. */
  connections: number;
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
      // The list is the target's own: the next load goes on with the chains where this one
      // left them (on the bare provider, whose memory adapter keeps only its last 1,000
      // entries, a chain's newest token is the one still there).
      const unused = oidc.refreshTokens;
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

async function runEndpoint(job: EndpointJob): Promise<LoadResult> {
  const state = targetState(job.target);
  const oidc = state.oidc as OidcFixture;
  const fixture = { ...oidc, accessTokens: state.accessTokens, refreshTokens: state.refreshTokens };
  let connections = job.connections;
  // Each refresh chain needs a token of its own: no more connections than tokens.
  if (job.endpoint === 'refresh') connections = Math.max(1, Math.min(connections, state.refreshTokens.length));
  const origin = new URL(oidc.issuer).origin;
  let firstFailure: string | undefined;
  // Warm-up and measure in one load: a refresh chain goes on from one to the other (a
  // break would lose the tokens in flight), and on the bare provider a separate warm-up's
  // fresh tokens would evict those the measure is to use.
  const from = performance.now() + job.warmUpSeconds * 1000;
  const until = from + job.seconds * 1000;
  let inWindow = 0;
  const requests = (endpointRequest(job.endpoint, fixture) ?? []).map((request) => ({
    ...request,
    onResponse: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => {
      const now = performance.now();
      if (status < 300 && now >= from && now <= until) inWindow += 1;
      // Remember the first refusal, so a broken run says why.
      if (status >= 300) firstFailure ??= `${status} ${body.slice(0, 200)}`;
      request.onResponse?.(status, body, context, headers);
    },
  }));
  const result = await autocannon({
    url: origin,
    connections,
    duration: job.warmUpSeconds + job.seconds,
    requests,
    initialContext: {},
    // autocannon stops at the first sample after the duration: sampling every 100 ms
    // rather than every second ends a load up to 0.9 s sooner.
    sampleInt: 100,
    ...(job.rate ? { overallRate: job.rate } : {}),
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  return {
    perSecond: Math.round(inWindow / job.seconds),
    // autocannon's, over the whole load (warm-up included): the p99 that counts is a paced
    // load's, which follows a full one.
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    completed: inWindow,
    failed,
    ...(firstFailure ? { firstFailure } : {}),
    connections,
  };
}

function percentile(sorted: number[], p: number) {
  return Number((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0).toFixed(1));
}

/**
 * A closed loop of `concurrency` users logging in, flat out. The rate is over the measured
 * window, after the warm-up (window.ts); the latencies are those of the logins that start in
 * it. The users still logging in when it ends finish before the answer, so no load is left
 * on the server for the next measure.
 */
async function runLogins(job: LoginJob): Promise<LoadResult & { all: number }> {
  // all: every login the load made, warm-up and tail included.
  const state = targetState(job.target);
  const latencies: number[] = [];
  const tokens: LoginTokens[] = [];
  const logins: Array<{ start: number; end: number }> = [];
  let inWindow = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const from = performance.now() + job.warmUpSeconds * 1000;
  const until = from + job.seconds * 1000;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (performance.now() < until) {
        const turn = state.budget.take();
        if (!turn) break; // every user has used the codes this window allows
        const start = performance.now();
        try {
          if (job.flavour === 'gatehouse') tokens.push(await gatehouseModuleLogin(state.baseUrl, state.oidc as OidcFixture, state.redirectUri as string, turn));
          else await betterAuthLogin(state.baseUrl, turn);
          const end = performance.now();
          logins.push({ start, end });
          if (start >= from) latencies.push(end - start);
          if (end >= from && end <= until) inWindow += 1;
        } catch (error) {
          failed += 1;
          firstFailure ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  // The endpoints' loads use the tokens the logins got, as a module would.
  state.accessTokens.push(...tokens.map((t) => t.accessToken));
  state.refreshTokens.push(...tokens.map((t) => t.refreshToken));
  return {
    perSecond: Number(windowRate(logins, from, until).toFixed(1)),
    p50ms: percentile(latencies, 50),
    p99ms: percentile(latencies, 99),
    completed: inWindow,
    all: logins.length,
    failed,
    ...(firstFailure ? { firstFailure } : {}),
    connections: job.concurrency,
  };
}

interface TargetState {
  baseUrl: string;
  oidc?: OidcFixture;
  redirectUri?: string;
  /** Shared by every login load against the target: a code used once stays used. */
  budget: TotpBudget;
  accessTokens: string[];
  refreshTokens: string[];
}
const targets = new Map<string, TargetState>();

function targetState(name: string): TargetState {
  const state = targets.get(name);
  if (!state) throw new Error(`no target ${name} registered`);
  return state;
}

function register(args: unknown) {
  const { name, ready } = args as { name: string; ready: TargetReady };
  targets.set(name, {
    baseUrl: ready.baseUrl,
    ...(ready.oidc ? { oidc: ready.oidc } : {}),
    ...(ready.redirectUri ? { redirectUri: ready.redirectUri } : {}),
    budget: new TotpBudget(ready.users ?? ([] as LoginUser[])),
    accessTokens: [...(ready.oidc?.accessTokens ?? [])],
    refreshTokens: [...(ready.oidc?.refreshTokens ?? [])],
  });
  return null;
}

announce({ baseUrl: '', pid: process.pid });
serveUntilParentLeaves(async () => {}, undefined, {
  register,
  login: (args) => runLogins(args as LoginJob),
  endpoint: (args) => runEndpoint(args as EndpointJob),
  forget: (args) => targets.delete((args as { name: string }).name),
});
