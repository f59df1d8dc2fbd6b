// `npm run bench [-- --quick] [-- --engine sqlite|postgres|sqlite-normal] [-- --sqlite-normal]`: Gatehouse beside references
// that do the same work, in one run on one machine, server on one core and the load
// generator on another (bench/README.md). Prints a table with ratios and writes
// bench/results/latest.json. Numbers compare within a run, never across machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { cores, pinning, runLoad, runScript, startTarget, type Target } from './harness.ts';
import type { Endpoint, LoadResult } from './load.ts';
import type { OidcFixture } from './targets/protocol.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
/** 1 worker on one core against 2 workers on two (GATEHOUSE_WORKERS): in a full run, or with --scaling. */
const scaling = (!quick || argv.includes('--scaling')) && cores > 1;
const engineArg = argv.includes('--engine') ? argv[argv.indexOf('--engine') + 1] : undefined;
const POSTGRES_URL = process.env.GATEHOUSE_BENCH_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';

const SECONDS = quick ? 1.5 : 8;
const LOGIN_SECONDS = quick ? 3 : 20;
/** Enough users that TOTP codes (one per user per step, one step ahead) never run out. */
const USERS = quick ? 150 : 1200;
const CONNECTIONS = 10;
const LOGIN_CONCURRENCY = 8;
// Client credentials last: the bare provider's memory adapter is an LRU of 1,000 entries,
// and thousands of fresh tokens would evict the user tokens the others use.
const ENDPOINTS: Endpoint[] = ['introspection', 'userinfo', 'refresh', 'client_credentials'];

async function postgresReachable() {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function log(line: string) {
  process.stderr.write(`${line}\n`);
}

/** Endpoint throughput at full load, then p99 latency at 70% of it. */
async function endpoints(oidc: OidcFixture, withP99: boolean) {
  const out: Record<string, LoadResult & { p99At70ms?: number }> = {};
  // Two disjoint sets of refresh tokens: every refresh token is used once.
  const half = Math.floor(oidc.refreshTokens.length / 2);
  const refreshSets = [oidc.refreshTokens.slice(0, half), oidc.refreshTokens.slice(half)];
  for (const endpoint of ENDPOINTS) {
    const fixture = (set: number) => (endpoint === 'refresh' ? { ...oidc, refreshTokens: refreshSets[set] as string[] } : oidc);
    // Each refresh chain needs a token of its own: no more connections than tokens.
    const connections = endpoint === 'refresh' ? Math.max(1, Math.min(CONNECTIONS, half)) : CONNECTIONS;
    const full = await runLoad({ kind: 'endpoint', endpoint, oidc: fixture(0), seconds: SECONDS, connections });
    out[endpoint] = full;
    if (withP99 && full.perSecond > 0) {
      const paced = await runLoad({ kind: 'endpoint', endpoint, oidc: fixture(1), seconds: SECONDS, connections, rate: Math.max(1, Math.round(full.perSecond * 0.7)) });
      out[endpoint] = { ...full, p99At70ms: paced.p99ms };
    }
    log(`  ${endpoint}: ${full.perSecond}/s (failed ${full.failed}${full.firstFailure ? `: ${full.firstFailure}` : ''})${out[endpoint]?.p99At70ms !== undefined ? `, p99 at 70% ${out[endpoint]?.p99At70ms} ms` : ''}`);
  }
  return out;
}

async function withTarget<T>(target: Promise<Target>, use: (target: Target) => Promise<T>): Promise<T> {
  const started = await target;
  try {
    return await use(started);
  } finally {
    await started.stop();
  }
}

type Engine = 'sqlite' | 'postgres' | 'sqlite-normal';
/** sqlite-normal: SQLite with GATEHOUSE_SQLITE_SYNCHRONOUS=normal, to show what the disk flush costs. */
const targetArgs = (engine: Engine) =>
  engine === 'sqlite-normal' ? { engine: 'sqlite', env: { GATEHOUSE_SQLITE_SYNCHRONOUS: 'normal' } } : { engine, env: { GATEHOUSE_SQLITE_SYNCHRONOUS: 'full' } };

async function gatehouseRun(engine: Engine) {
  log(`Gatehouse on ${engine}`);
  const { engine: kind, env } = targetArgs(engine);
  return withTarget(startTarget('targets/gatehouse.ts', [kind, String(USERS)], { nodeFlags: ['--expose-gc'], env }), async (target) => {
    const idle = await target.stats();
    const logins = await runLoad({
      kind: 'gatehouse-login',
      baseUrl: target.ready.baseUrl,
      users: target.ready.users ?? [],
      oidc: target.ready.oidc as OidcFixture,
      redirectUri: target.ready.redirectUri as string,
      seconds: LOGIN_SECONDS,
      concurrency: LOGIN_CONCURRENCY,
    });
    const after = await target.stats();
    log(`  full module login: ${logins.perSecond}/s (failed ${logins.failed}${logins.firstFailure ? `: ${logins.firstFailure}` : ''})`);
    const perLogin = (n: number, m: number) => Number(((m - n) / Math.max(1, logins.completed)).toFixed(1));
    const oidc = { ...(target.ready.oidc as OidcFixture), ...logins.tokens };
    const { tokens: _tokens, ...login } = logins;
    return {
      login,
      rssIdleMiB: idle.rssMiB,
      rssAfterLoginsMiB: after.rssMiB,
      loginsForRss: logins.completed,
      ...(idle.postgres && after.postgres
        ? {
            postgresPerLogin: {
              roundTrips: perLogin(idle.postgres.roundTrips, after.postgres.roundTrips),
              writes: perLogin(idle.postgres.writes, after.postgres.writes),
              transactions: perLogin(idle.postgres.transactions, after.postgres.transactions),
            },
          }
        : {}),
      endpoints: await endpoints(oidc, true),
    };
  });
}

/** Logins, client credentials and introspection for `workers` workers on `cpus`. */
async function scalingRun(engine: Engine, workers: number, cpus: string) {
  log(`Gatehouse on ${engine}, ${workers} worker(s) on core(s) ${cpus}`);
  const { engine: kind, env } = targetArgs(engine);
  return withTarget(startTarget('targets/gatehouse.ts', [kind, String(USERS), String(workers)], { cpus, env }), async (target) => {
    const oidc = target.ready.oidc as OidcFixture;
    const logins = await runLoad({ kind: 'gatehouse-login', baseUrl: target.ready.baseUrl, users: target.ready.users ?? [], oidc, redirectUri: target.ready.redirectUri as string, seconds: LOGIN_SECONDS, concurrency: LOGIN_CONCURRENCY * workers });
    const withTokens = { ...oidc, ...logins.tokens };
    const out: Record<string, number> = { login: logins.perSecond };
    for (const endpoint of ['client_credentials', 'introspection'] as const) {
      out[endpoint] = (await runLoad({ kind: 'endpoint', endpoint, oidc: withTokens, seconds: SECONDS, connections: CONNECTIONS * workers })).perSecond;
    }
    log(`  logins ${out.login}/s, client credentials ${out.client_credentials}/s, introspection ${out.introspection}/s`);
    return out;
  });
}

const at = new Date().toISOString();
const started = performance.now();
log(`cores: ${cores}; pinning: ${pinning.enabled ? `server on core ${pinning.server}, load generator on core ${pinning.load}` : 'off (one core or no taskset)'}${quick ? '; quick' : ''}`);

log('bare oidc-provider (memory adapter, opaque tokens)');
const bare = await withTarget(startTarget('targets/bare-oidc.ts', ['100']), (target) => endpoints(target.ready.oidc as OidcFixture, false));

log('argon2id verify floor');
const floor = await runScript<{ perSecond: number }>(pinning.server, 'targets/argon2-floor.ts', [String(quick ? 2 : 10), String(LOGIN_CONCURRENCY)]);
log(`  ${floor.perSecond}/s`);

log('better-auth 1.7 + two-factor (SQLite)');
const betterAuth = await withTarget(startTarget('targets/better-auth.ts', [String(USERS)]), async (target) => {
  const result = await runLoad({ kind: 'better-auth-login', baseUrl: target.ready.baseUrl, users: target.ready.users ?? [], seconds: LOGIN_SECONDS, concurrency: LOGIN_CONCURRENCY });
  log(`  login: ${result.perSecond}/s (failed ${result.failed}${result.firstFailure ? `: ${result.firstFailure}` : ''})`);
  return result;
});

const engines: Engine[] = engineArg ? [engineArg as Engine] : ['sqlite'];
if (!engineArg && argv.includes('--sqlite-normal')) engines.push('sqlite-normal');
if (!engineArg && (await postgresReachable())) engines.push('postgres');
else if (!engineArg) log(`PostgreSQL not reachable at ${POSTGRES_URL}: SQLite only`);
const gatehouse: Record<string, Awaited<ReturnType<typeof gatehouseRun>>> = {};
for (const engine of engines) gatehouse[engine] = await gatehouseRun(engine);

// One core against two. The load generator keeps its core, which the second worker then
// shares: on a 2-core machine the gain is understated (docs/PERFORMANCE.md).
const scalingResults: Record<string, { oneCore: Record<string, number>; twoCores: Record<string, number> }> = {};
if (scaling) {
  for (const engine of engines) {
    const oneCore = await scalingRun(engine, 1, pinning.server);
    const twoCores = await scalingRun(engine, 2, `0-${Math.min(cores, 2) - 1}`);
    scalingResults[engine] = { oneCore, twoCores };
  }
}

// The table: one row per measure, Gatehouse per engine beside the reference and the ratio.
const ratio = (a: number, b: number) => (b > 0 ? Number((a / b).toFixed(2)) : null);
const rows: Array<Record<string, string | number | null>> = [];
for (const endpoint of ENDPOINTS) {
  const row: Record<string, string | number | null> = { measure: `${endpoint} /s`, reference: bare[endpoint]?.perSecond ?? null, 'reference is': 'bare oidc-provider' };
  for (const engine of engines) {
    const mine = gatehouse[engine]?.endpoints[endpoint];
    row[engine] = mine?.perSecond ?? null;
    row[`ratio ${engine}`] = ratio(mine?.perSecond ?? 0, bare[endpoint]?.perSecond ?? 0);
    row[`p99@70% ${engine} ms`] = mine?.p99At70ms ?? null;
  }
  rows.push(row);
}
for (const [name, reference, value] of [
  ['full module login /s', 'argon2id verify floor', floor.perSecond],
  ['full module login /s', 'better-auth + 2FA', betterAuth.perSecond],
] as const) {
  const row: Record<string, string | number | null> = { measure: name, reference: value, 'reference is': reference };
  for (const engine of engines) {
    row[engine] = gatehouse[engine]?.login.perSecond ?? null;
    row[`ratio ${engine}`] = ratio(gatehouse[engine]?.login.perSecond ?? 0, value);
    row[`p99@70% ${engine} ms`] = null;
  }
  rows.push(row);
}
for (const [name, pick] of [
  ['RSS idle MiB', (g: (typeof gatehouse)[string]) => g.rssIdleMiB],
  ['RSS after logins MiB', (g: (typeof gatehouse)[string]) => g.rssAfterLoginsMiB],
  ['PG round trips / login', (g: (typeof gatehouse)[string]) => g.postgresPerLogin?.roundTrips ?? null],
  ['PG writes / login', (g: (typeof gatehouse)[string]) => g.postgresPerLogin?.writes ?? null],
  ['PG transactions / login', (g: (typeof gatehouse)[string]) => g.postgresPerLogin?.transactions ?? null],
] as const) {
  const row: Record<string, string | number | null> = { measure: name, reference: null, 'reference is': '' };
  for (const engine of engines) row[engine] = gatehouse[engine] ? pick(gatehouse[engine]) : null;
  rows.push(row);
}
for (const measure of ['login', 'client_credentials', 'introspection']) {
  const row: Record<string, string | number | null> = { measure: `${measure}: 2 workers / 1`, reference: null, 'reference is': 'same run, 1 worker' };
  for (const engine of engines) {
    const result = scalingResults[engine];
    row[engine] = result ? ratio(result.twoCores[measure] ?? 0, result.oneCore[measure] ?? 0) : null;
  }
  if (scaling) rows.push(row);
}
console.table(rows);

const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/latest.json', import.meta.url),
  JSON.stringify({ node: process.version, cores, pinning, quick, at, seconds, table: rows, bare, floor, betterAuth, gatehouse, scaling: scalingResults }, null, 2) + '\n',
);
log(`done in ${seconds} s; bench/results/latest.json written`);
