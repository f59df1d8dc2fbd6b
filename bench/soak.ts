// `npm run bench:soak [-- --logins N] [--minutes M] [--users U] [--engine sqlite|postgres]
// [--node-flags "..."] [--out name]`: full module logins against one Gatehouse
// (targets/gatehouse.ts) until N logins are done (default 10,000) or M minutes have
// passed, whichever comes first, sampling the server's memory every few seconds. It
// reports RSS idle, RSS after, the peak, and the growth over the second half of the load
// (median slope, MiB per minute), and writes bench/results/<out>.json (soak.json).
// A flat second half is what "no leak" means here: the first half fills caches and lets
// the heap settle. The server runs with --expose-gc and each sample follows a full GC,
// so what is sampled is what the process keeps, not garbage not yet collected.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { gatehouseModuleLogin, TotpBudget } from './logins.ts';
import type { OidcFixture, TargetReady } from './targets/protocol.ts';
import { YOUNG_GENERATION_FLAG } from '../src/v8-flags.ts';

const { values: options } = parseArgs({
  options: {
    logins: { type: 'string', default: '10000' },
    minutes: { type: 'string' },
    users: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    interval: { type: 'string', default: '5' },
    engine: { type: 'string', default: 'sqlite' },
    // What the start-up path passes (src/v8-flags.ts); `--node-flags ""` for V8's defaults.
    'node-flags': { type: 'string', default: YOUNG_GENERATION_FLAG },
    out: { type: 'string', default: 'soak' },
  },
});
const logins = Number(options.logins);
const minutes = options.minutes === undefined ? Infinity : Number(options.minutes);
const concurrency = Number(options.concurrency);
const intervalMs = Number(options.interval) * 1000;
// A user logs in at most twice per 30 s (bench/logins.ts TotpBudget): 1,000 users allow
// about 66 logins per second, above what one core reaches.
const users = Number(options.users ?? 1000);
const nodeFlags = options['node-flags'].split(/\s+/).filter(Boolean);

const here = path.dirname(new URL(import.meta.url).pathname);
const cores = availableParallelism();
const pinned = cores > 1 && spawnSync('taskset', ['-V']).status === 0;
const serverCommand = [process.execPath, '--expose-gc', ...nodeFlags, path.join(here, 'targets', 'gatehouse.ts'), options.engine, String(users)];
const [file, ...args] = pinned ? ['taskset', '-c', '0', ...serverCommand] : serverCommand;
// This process is the load generator: it takes the last core, the server core 0.
if (pinned) spawnSync('taskset', ['-pc', String(cores - 1), String(process.pid)], { stdio: 'ignore' });

const server = spawn(file as string, args, { stdio: 'pipe' });
let stderr = '';
server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
const waiting: Array<(stats: { rssBytes: number; heapUsedBytes: number }) => void> = [];
let onReady: (ready: TargetReady) => void = () => {};
createInterface({ input: server.stdout }).on('line', (line) => {
  if (line.startsWith('ready ')) onReady(JSON.parse(line.slice(6)) as TargetReady);
  else if (line.startsWith('stats ')) waiting.shift()?.(JSON.parse(line.slice(6)));
});
const ready = await Promise.race([
  new Promise<TargetReady>((resolve) => (onReady = resolve)),
  exited.then((code) => {
    throw new Error(`the server exited (${code}) before it was ready:\n${stderr}`);
  }),
]);
const stats = () =>
  new Promise<{ rssBytes: number; heapUsedBytes: number }>((resolve) => {
    waiting.push(resolve);
    server.stdin.write('stats\n');
  });

interface Sample {
  /** Seconds since the load began (negative: idle, before it). */
  t: number;
  logins: number;
  rssMiB: number;
  heapUsedMiB: number;
}
const MiB = 1048576;
const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const samples: Sample[] = [];
let done = 0;
let failed = 0;
let firstFailure: string | undefined;
let started = performance.now();
const sample = async () => {
  const s = await stats();
  const entry = { t: round((performance.now() - started) / 1000), logins: done, rssMiB: round(s.rssBytes / MiB), heapUsedMiB: round(s.heapUsedBytes / MiB) };
  samples.push(entry);
  return entry;
};

// Idle: the users are made; let the start-up's garbage go and the heap settle.
await new Promise((resolve) => setTimeout(resolve, 5000));
const idle = await sample();
console.log(`idle: RSS ${idle.rssMiB} MiB, heap used ${idle.heapUsedMiB} MiB (${users} users${nodeFlags.length ? `, ${nodeFlags.join(' ')}` : ''})`);

started = performance.now();
const until = started + minutes * 60_000;
const budget = new TotpBudget(ready.users ?? []);
const ticker = setInterval(() => {
  void sample().then((s) => console.log(`${String(Math.round(s.t)).padStart(5)} s  ${String(s.logins).padStart(6)} logins  RSS ${s.rssMiB} MiB  heap ${s.heapUsedMiB} MiB`));
}, intervalMs);
let begun = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (begun < logins && performance.now() < until) {
      const turn = budget.take();
      // Every user has used the codes this window allows: wait for the next one.
      if (!turn) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      begun += 1;
      try {
        await gatehouseModuleLogin(ready.baseUrl, ready.oidc as OidcFixture, ready.redirectUri as string, turn);
        done += 1;
      } catch (error) {
        failed += 1;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }
  }),
);
clearInterval(ticker);
const loadSeconds = (performance.now() - started) / 1000;
const after = await sample();
server.stdin.end();
await exited;

/**
 * Slope of y over x as the median of the slopes between every two points (Theil-Sen): a
 * sample that caught the young generation still grown (one in twenty or so, 20 MiB above
 * its neighbours) does not tilt the line, as it would a least-squares fit.
 */
function slope(points: Array<[number, number]>) {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const [x1, y1] = points[i] as [number, number];
      const [x2, y2] = points[j] as [number, number];
      if (x2 !== x1) slopes.push((y2 - y1) / (x2 - x1));
    }
  }
  slopes.sort((a, b) => a - b);
  if (slopes.length === 0) return 0;
  const mid = Math.floor(slopes.length / 2);
  return slopes.length % 2 ? (slopes[mid] as number) : ((slopes[mid - 1] as number) + (slopes[mid] as number)) / 2;
}
const underLoad = samples.filter((s) => s.t > 0);
const secondHalf = underLoad.filter((s) => s.t >= loadSeconds / 2);
const perMinute = (key: 'rssMiB' | 'heapUsedMiB') => round(slope(secondHalf.map((s) => [s.t / 60, s[key]])), 2);
const result = {
  date: new Date().toISOString(),
  engine: options.engine,
  nodeFlags,
  users,
  concurrency,
  pinned,
  logins: done,
  failed,
  ...(firstFailure ? { firstFailure } : {}),
  minutes: round(loadSeconds / 60, 2),
  loginsPerSecond: round(done / loadSeconds),
  rssIdleMiB: idle.rssMiB,
  rssAfterMiB: after.rssMiB,
  rssPeakMiB: Math.max(...samples.map((s) => s.rssMiB)),
  heapUsedIdleMiB: idle.heapUsedMiB,
  heapUsedAfterMiB: after.heapUsedMiB,
  secondHalf: { samples: secondHalf.length, rssMiBPerMinute: perMinute('rssMiB'), heapUsedMiBPerMinute: perMinute('heapUsedMiB') },
  samples,
};
const resultsDir = path.join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, `${options.out}.json`), `${JSON.stringify(result, null, 2)}\n`);

const rows: Array<[string, string]> = [
  ['full module logins', `${done} in ${result.minutes} min (${result.loginsPerSecond}/s), ${failed} failed`],
  ['RSS idle', `${result.rssIdleMiB} MiB`],
  ['RSS after the logins', `${result.rssAfterMiB} MiB (peak ${result.rssPeakMiB})`],
  ['heap used idle / after', `${result.heapUsedIdleMiB} / ${result.heapUsedAfterMiB} MiB`],
  ['growth over the second half: RSS', `${result.secondHalf.rssMiBPerMinute} MiB/min (${secondHalf.length} samples)`],
  ['growth over the second half: heap used', `${result.secondHalf.heapUsedMiBPerMinute} MiB/min`],
];
console.log(`\n| measure | ${options.engine} |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`);
if (firstFailure) console.log(`\nfirst failure: ${firstFailure}`);
console.log(`\nwritten to bench/results/${options.out}.json`);
