// `npm run bench [-- --quick] [-- --engine sqlite|postgres|sqlite-normal] [-- --sqlite-normal]`: Gatehouse beside references
// that do the same work, in one run on one machine, server on one core and the load
// generator on another (bench/README.md). Prints a table with ratios and writes
// bench/results/latest.json (a quick run: quick.json). Numbers compare within a run, never across machines.
import { YOUNG_GENERATION_FLAG } from '../src/v8-flags.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { cores, pinning, startLoadGenerator, startTarget, type Target } from './harness.ts';
import { startProductionLayout, type MemorySample } from './production.ts';
import type { Endpoint, LoadResult } from './load.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
/** 1 worker on one core against 2 workers on two (GATEHOUSE_WORKERS): in a full run, or with --scaling. */
const scaling = (!quick || argv.includes('--scaling')) && cores > 1;
const engineArg = argv.includes('--engine') ? argv[argv.indexOf('--engine') + 1] : undefined;
const POSTGRES_URL = process.env.GATEHOUSE_BENCH_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';

/**
 * Every measure is taken in turns: each round measures the reference and every Gatehouse
 * one after another, the order reversed every other round, so that a measure and its
 * reference are always minutes apart at most and a slow spell of the machine falls on
 * both; the rate is the mean over the rounds, and each round's own ratio is kept too.
 */
const ROUNDS = quick ? 1 : 3;
/** Measured seconds per turn (so quick: 1.5 s of each endpoint; full: 3 rounds of 3 s). */
const SECONDS = quick ? 1.5 : 3;
const LOGIN_SECONDS = quick ? 3 : 7;
/** Before every measured load, the same load unmeasured, the same for Gatehouse and its reference. */
const WARM_SECONDS = quick ? 0.5 : 2;
const LOGIN_WARM_SECONDS = quick ? 1 : 3;
/** Enough users that TOTP codes (one per user per step, one step ahead) never run out. */
const USERS = quick ? 150 : 1200;
const CONNECTIONS = 10;
const LOGIN_CONCURRENCY = 8;
/** When the production layout's memory is read just started, in seconds after it says it is running; the quiet reading is at the end of the run. */
const PRODUCTION_JUST_STARTED_SECONDS = 3;
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

/** Seconds since this process started (performance.now() counts from there). */
const elapsed = () => Number((performance.now() / 1000).toFixed(1));
/** A line on stderr, after the seconds since the start. */
function log(line: string) {
  process.stderr.write(`${elapsed().toFixed(1).padStart(5)} s  ${line}\n`);
}
const failure = (r: LoadResult) => `failed ${r.failed}${r.firstFailure ? `: ${r.firstFailure}` : ''}`;
const ratio = (a: number, b: number) => (b > 0 ? Number((a / b).toFixed(2)) : null);
/** The lowest and highest of the rounds' own ratios ('' with one round). */
const spread = (ratios: Array<number | null>) => {
  const known = ratios.filter((r): r is number => r !== null);
  return known.length > 1 ? `${Math.min(...known)} to ${Math.max(...known)}` : '';
};

const at = new Date().toISOString();
const loadAverageAtStart = loadavg().map((n) => Number(n.toFixed(2)));
log(`cores: ${cores}; pinning: ${pinning.enabled ? `server on core ${pinning.server}, load generator on core ${pinning.load}` : 'off (one core or no taskset)'}${quick ? '; quick' : ''}; load average ${loadAverageAtStart.join(', ')}`);

type Engine = 'sqlite' | 'postgres' | 'sqlite-normal';
const engines: Engine[] = engineArg ? [engineArg as Engine] : ['sqlite'];
if (!engineArg && argv.includes('--sqlite-normal')) engines.push('sqlite-normal');
if (!engineArg && (await postgresReachable())) engines.push('postgres');
else if (!engineArg) log(`PostgreSQL not reachable at ${POSTGRES_URL}: SQLite only`);

/** sqlite-normal: SQLite with GATEHOUSE_SQLITE_SYNCHRONOUS=normal, to show what the disk flush costs. */
const targetArgs = (engine: Engine) =>
  engine === 'sqlite-normal' ? { engine: 'sqlite', env: { GATEHOUSE_SQLITE_SYNCHRONOUS: 'normal' } } : { engine, env: { GATEHOUSE_SQLITE_SYNCHRONOUS: 'full' } };
/**
 * A Gatehouse, with the V8 flag its start-up path sets (src/v8-flags.ts); the ones whose
 * RSS is measured run with --expose-gc too (`stats` collects first).
 */
const gatehouseTarget = (engine: Engine, workers: number, cpus = pinning.server, rss = false) => {
  const { engine: kind, env } = targetArgs(engine);
  const nodeFlags = [YOUNG_GENERATION_FLAG, ...(rss ? ['--expose-gc'] : [])];
  return startTarget('targets/gatehouse.ts', [kind, String(USERS), String(workers)], { cpus, env, nodeFlags });
};

// Every process starts now, together, so their start-ups overlap; none starts during a
// load. A target waits idle for its turn (a Gatehouse's outbox workers poll its database
// every second or two). The load generator is one process for the whole run. The
// production layout (production.ts) is built and started with them and read just started;
// it then waits idle like the targets, and is read again, quiet, once every load is done.
log(`starting the load generator and ${4 + engines.length * (scaling ? 3 : 1)} targets, and building and starting the production layout`);
const scalingCpus = { one: pinning.server, two: `0-${Math.min(cores, 2) - 1}` };
const readyAt: Record<string, number> = {};
const noted = <T>(name: string, promise: Promise<T>) => promise.then((value) => ((readyAt[name] = elapsed()), value));
const [load, bareTarget, floorTarget, betterAuthTarget, gatehouseTargets, scalingTargets, production] = await Promise.all([
  noted('load generator', startLoadGenerator()),
  noted('bare', startTarget('targets/bare-oidc.ts', ['100'])),
  noted('floor', startTarget('targets/argon2-floor.ts', [])),
  noted('better-auth', startTarget('targets/better-auth.ts', [String(USERS)])),
  Promise.all(engines.map((engine) => noted(engine, gatehouseTarget(engine, 1, pinning.server, true)))),
  Promise.all(scaling ? engines.flatMap((engine) => [noted(`${engine} 1 worker`, gatehouseTarget(engine, 1, scalingCpus.one)), noted(`${engine} 2 workers`, gatehouseTarget(engine, 2, scalingCpus.two))]) : []),
  noted('production layout (read just started)', startProductionLayout().then(async (layout) => ({ layout, justStarted: await layout.sample(PRODUCTION_JUST_STARTED_SECONDS) }))),
]);
const everyTarget: Target[] = [load.target, bareTarget, floorTarget, betterAuthTarget, ...gatehouseTargets, ...scalingTargets];
for (const target of everyTarget) target.pin();
if (pinning.enabled) production.layout.pin(pinning.server);
const startupSeconds = elapsed();
log(`all ready and pinned (${Object.entries(readyAt).map(([name, at]) => `${name} at ${at} s`).join(', ')})`);
const sampleLine = (m: MemorySample) =>
  `after ${m.atSeconds} s: RSS ${m.rssMiB} MiB (anonymous ${m.anonymousMiB}, file-backed ${m.fileBackedMiB}), V8 heap used ${m.heapUsedMiB} of ${m.heapTotalMiB} MiB, ${m.threads} threads`;
log(`production layout (built in ${production.layout.buildSeconds} s, running in ${production.layout.listeningSeconds} s), ${sampleLine(production.justStarted)}`);

/** What a measure gave over its rounds: the mean rate, each round's rate, failures summed. */
type Measured = LoadResult & { all?: number; rounds: number[] };

/**
 * Runs `turn` for every name, ROUNDS times, the order reversed every other round, and
 * puts each name's turns together. `label` names the measure in the log, where each
 * round's rates are printed as they come.
 */
async function inRounds(label: string, names: string[], turn: (name: string) => Promise<LoadResult & { all?: number }>): Promise<Record<string, Measured>> {
  const turns = new Map<string, Array<LoadResult & { all?: number }>>(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    const line: string[] = [];
    for (const name of order) {
      const result = await turn(name);
      turns.get(name)?.push(result);
      line.push(`${name} ${result.perSecond}/s${result.failed ? ` (${failure(result)})` : ''}`);
    }
    log(`  ${label}${ROUNDS > 1 ? `, round ${round + 1}` : ''}: ${line.join(', ')}`);
  }
  const out: Record<string, Measured> = {};
  for (const [name, results] of turns) {
    const first = results[0] as LoadResult & { all?: number };
    const sum = (pick: (r: LoadResult & { all?: number }) => number) => results.reduce((n, r) => n + pick(r), 0);
    out[name] = {
      ...first,
      perSecond: Number((sum((r) => r.perSecond) / results.length).toFixed(1)),
      completed: sum((r) => r.completed),
      failed: sum((r) => r.failed),
      ...(first.all !== undefined ? { all: sum((r) => r.all ?? 0) } : {}),
      firstFailure: results.find((r) => r.firstFailure)?.firstFailure,
      rounds: results.map((r) => r.perSecond),
    };
  }
  return out;
}

/** Each round's ratio of a measure to its reference (taken in the same round, seconds apart). */
const roundRatios = (mine: Measured | undefined, reference: Measured | undefined) =>
  (mine?.rounds ?? []).map((rate, i) => ratio(rate, reference?.rounds[i] ?? 0));

/** Logins after a warm-up of logins; their tokens stay with the load generator for the endpoints. */
const loginTurn = (flavour: (name: string) => 'gatehouse' | 'better-auth', concurrency: number) => (name: string) =>
  load.login({ target: name, flavour: flavour(name), warmUpSeconds: LOGIN_WARM_SECONDS, seconds: LOGIN_SECONDS, concurrency });

/**
 * Endpoint throughput at full load after a warm-up, in rounds; then, for `paced` names,
 * p99 latency at 70% of the rate they reached.
 */
async function endpoints(names: string[], paced: string[], list: Endpoint[] = ENDPOINTS, connections = CONNECTIONS) {
  const out: Record<string, Record<string, Measured & { p99At70ms?: number }>> = Object.fromEntries(names.map((name) => [name, {}]));
  for (const endpoint of list) {
    const job = { endpoint, connections, seconds: SECONDS };
    const full = await inRounds(endpoint, names, (target) => load.endpoint({ ...job, target, warmUpSeconds: WARM_SECONDS }));
    for (const name of names) {
      const mine = full[name] as Measured;
      (out[name] as Record<string, Measured>)[endpoint] = mine;
      if (!paced.includes(name) || mine.perSecond <= 0) continue;
      const p99 = await load.endpoint({ ...job, target: name, warmUpSeconds: 0, rate: Math.max(1, Math.round(mine.perSecond * 0.7)) });
      (out[name] as Record<string, Measured & { p99At70ms?: number }>)[endpoint] = { ...mine, p99At70ms: p99.p99ms };
      log(`  ${endpoint}: ${name} p99 at 70% (${Math.round(mine.perSecond * 0.7)}/s) ${p99.p99ms} ms`);
    }
  }
  return out;
}

const gatehouseName = (engine: Engine) => `gatehouse-${engine}`;
await load.register('bare', bareTarget.ready);
await load.register('better-auth', betterAuthTarget.ready);
for (const [i, engine] of engines.entries()) await load.register(gatehouseName(engine), (gatehouseTargets[i] as Target).ready);
const gatehouseNames = engines.map(gatehouseName);
const targetOf = (name: string) => gatehouseTargets[gatehouseNames.indexOf(name)] as Target;

log(`full module logins, ${LOGIN_CONCURRENCY} at a time: the argon2id verify floor, better-auth 1.7 + two-factor (SQLite), Gatehouse on ${engines.join(', ')}`);
const idleStats = Object.fromEntries(await Promise.all(gatehouseNames.map(async (name) => [name, await targetOf(name).stats()] as const)));
const loginResults = await inRounds('logins', ['floor', 'better-auth', ...gatehouseNames], (name) =>
  name === 'floor'
    ? floorTarget.command<{ perSecond: number }>('run', { warmUpSeconds: WARM_SECONDS, seconds: LOGIN_SECONDS, concurrency: LOGIN_CONCURRENCY }).then((r) => ({ perSecond: r.perSecond, p50ms: 0, p99ms: 0, completed: 0, failed: 0, connections: LOGIN_CONCURRENCY }))
    : loginTurn((n) => (n === 'better-auth' ? 'better-auth' : 'gatehouse'), LOGIN_CONCURRENCY)(name),
);
const afterStats = Object.fromEntries(await Promise.all(gatehouseNames.map(async (name) => [name, await targetOf(name).stats()] as const)));
const floor = loginResults.floor as Measured;
const betterAuth = loginResults['better-auth'] as Measured;

log('endpoints, 10 connections: bare oidc-provider (memory adapter, opaque tokens) and Gatehouse');
const endpointResults = await endpoints(['bare', ...gatehouseNames], gatehouseNames);
const bare = endpointResults.bare as Record<string, Measured>;

const gatehouse: Record<string, ReturnType<typeof gatehouseResult>> = {};
function gatehouseResult(name: string) {
  const login = loginResults[name] as Measured & { all: number };
  const idle = idleStats[name] as Awaited<ReturnType<Target['stats']>>;
  const after = afterStats[name] as Awaited<ReturnType<Target['stats']>>;
  // Over every login since idle, the warm-ups' too: they all do the same work.
  const perLogin = (n: number, m: number) => Number(((m - n) / Math.max(1, login.all)).toFixed(1));
  return {
    login,
    loginRatios: { floor: roundRatios(login, floor), betterAuth: roundRatios(login, betterAuth) },
    rssIdleMiB: idle.rssMiB,
    rssAfterLoginsMiB: after.rssMiB,
    loginsForRss: login.all,
    ...(idle.postgres && after.postgres
      ? {
          postgresPerLogin: {
            roundTrips: perLogin(idle.postgres.roundTrips, after.postgres.roundTrips),
            writes: perLogin(idle.postgres.writes, after.postgres.writes),
            transactions: perLogin(idle.postgres.transactions, after.postgres.transactions),
          },
        }
      : {}),
    endpoints: endpointResults[name] as Record<string, Measured & { p99At70ms?: number }>,
    endpointRatios: Object.fromEntries(ENDPOINTS.map((endpoint) => [endpoint, roundRatios(endpointResults[name]?.[endpoint], bare[endpoint])])),
  };
}
for (const engine of engines) gatehouse[engine] = gatehouseResult(gatehouseName(engine));

// One core against two, in rounds like the rest. The load generator keeps its core, which
// the second worker then shares: on a 2-core machine the gain is understated
// (docs/PERFORMANCE.md).
const scalingResults: Record<string, { oneCore: Record<string, number>; twoCores: Record<string, number> }> = {};
for (const [i, engine] of (scaling ? engines : []).entries()) {
  const one = `gatehouse-${engine}-1w`;
  const two = `gatehouse-${engine}-2w`;
  log(`Gatehouse on ${engine}: 1 worker on core ${scalingCpus.one} against 2 workers on cores ${scalingCpus.two}`);
  await load.register(one, (scalingTargets[2 * i] as Target).ready);
  await load.register(two, (scalingTargets[2 * i + 1] as Target).ready);
  const workersOf = (name: string) => (name === one ? 1 : 2);
  const logins = await inRounds('logins', [one, two], (name) => loginTurn(() => 'gatehouse', LOGIN_CONCURRENCY * workersOf(name))(name));
  const rates = { [one]: { login: logins[one]?.perSecond ?? 0 }, [two]: { login: logins[two]?.perSecond ?? 0 } } as Record<string, Record<string, number>>;
  for (const endpoint of ['client_credentials', 'introspection'] as const) {
    const measured = await inRounds(endpoint, [one, two], (name) => load.endpoint({ target: name, endpoint, connections: CONNECTIONS * workersOf(name), seconds: SECONDS, warmUpSeconds: WARM_SECONDS }));
    for (const name of [one, two]) (rates[name] as Record<string, number>)[endpoint] = measured[name]?.perSecond ?? 0;
  }
  scalingResults[engine] = { oneCore: rates[one] as Record<string, number>, twoCores: rates[two] as Record<string, number> };
}
// The production layout has been idle since it started: read quiet, after V8 gave back what
// start-up left (src/memory-release.ts).
const productionQuiet = await production.layout.sample(0);
log(`production layout, quiet, ${sampleLine(productionQuiet)}`);
// Stopped together at the end: a target closing (and dropping its database) while another
// is measured would take from it. The load generator first, which closes its connections.
await load.target.stop();
await Promise.all([...everyTarget.map((target) => target.stop()), production.layout.stop()]);
log('all stopped');

// The table: one row per measure, Gatehouse per engine beside the reference and the ratio.
const rows: Array<Record<string, string | number | null>> = [];
for (const endpoint of ENDPOINTS) {
  const row: Record<string, string | number | null> = { measure: `${endpoint} /s`, reference: bare[endpoint]?.perSecond ?? null, 'reference is': 'bare oidc-provider' };
  for (const engine of engines) {
    const mine = gatehouse[engine]?.endpoints[endpoint];
    row[engine] = mine?.perSecond ?? null;
    row[`ratio ${engine}`] = ratio(mine?.perSecond ?? 0, bare[endpoint]?.perSecond ?? 0);
    row[`rounds ${engine}`] = spread(gatehouse[engine]?.endpointRatios[endpoint] ?? []);
    row[`p99@70% ${engine} ms`] = mine?.p99At70ms ?? null;
  }
  rows.push(row);
}
for (const [name, reference, value, key] of [
  ['full module login /s', 'argon2id verify floor', floor.perSecond, 'floor'],
  ['full module login /s', 'better-auth + 2FA', betterAuth.perSecond, 'betterAuth'],
] as const) {
  const row: Record<string, string | number | null> = { measure: name, reference: value, 'reference is': reference };
  for (const engine of engines) {
    row[engine] = gatehouse[engine]?.login.perSecond ?? null;
    row[`ratio ${engine}`] = ratio(gatehouse[engine]?.login.perSecond ?? 0, value);
    row[`rounds ${engine}`] = spread(gatehouse[engine]?.loginRatios[key] ?? []);
    row[`p99@70% ${engine} ms`] = null;
  }
  rows.push(row);
}
for (const [name, pick] of [
  ['RSS idle MiB (src/, type stripping)', (g: (typeof gatehouse)[string]) => g.rssIdleMiB],
  ['RSS after logins MiB (src/)', (g: (typeof gatehouse)[string]) => g.rssAfterLoginsMiB],
  ['PG round trips / login', (g: (typeof gatehouse)[string]) => g.postgresPerLogin?.roundTrips ?? null],
  ['PG writes / login', (g: (typeof gatehouse)[string]) => g.postgresPerLogin?.writes ?? null],
  ['PG transactions / login', (g: (typeof gatehouse)[string]) => g.postgresPerLogin?.transactions ?? null],
] as const) {
  const row: Record<string, string | number | null> = { measure: name, reference: null, 'reference is': '' };
  for (const engine of engines) row[engine] = gatehouse[engine] ? pick(gatehouse[engine]) : null;
  rows.push(row);
}
// Not per engine: the production layout on a fresh SQLite file, no users made.
for (const [label, sample] of [['quiet', productionQuiet], ['just started', production.justStarted]] as const) {
  rows.push({ measure: `RSS idle MiB, production (dist/), ${label}`, reference: null, 'reference is': `fresh SQLite, ${sample.atSeconds} s after start`, sqlite: sample.rssMiB });
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

const seconds = elapsed();
const loadAverageAtEnd = loadavg().map((n) => Number(n.toFixed(2)));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
// A quick run never replaces the last full run's results.
const resultsFile = quick ? 'quick.json' : 'latest.json';
writeFileSync(
  new URL(`./results/${resultsFile}`, import.meta.url),
  JSON.stringify({ node: process.version, cores, pinning, quick, at, seconds, startupSeconds, readyAt, loadAverage: { atStart: loadAverageAtStart, atEnd: loadAverageAtEnd }, table: rows, rssIdleProductionMiB: productionQuiet.rssMiB, production: { buildSeconds: production.layout.buildSeconds, listeningSeconds: production.layout.listeningSeconds, justStarted: production.justStarted, quiet: productionQuiet }, bare, floor, betterAuth, gatehouse, scaling: scalingResults }, null, 2) + '\n',
);
log(`done in ${seconds} s (start-ups ${startupSeconds} s; load average ${loadAverageAtEnd.join(', ')}); bench/results/${resultsFile} written`);
