// `node bench/tails.ts <introspection|userinfo|refresh|client_credentials> [sqlite|postgres] [--flags="<node flags>"] [--seconds 8]`:
// what a p99 at 70% is made of. Runs one Gatehouse as the benchmark does (pinned to core
// 0, the start-up path's V8 flag, 300 users, the load generator on the last core): the
// endpoint flat out, then paced at 70% of that rate, as `npm run bench` measures p99. Then
// prints, for the paced load only: its p50 and p99; the server's garbage collections by
// kind; the event loop's stalls over 4 ms, each with the main thread's own CPU in it (a
// stall with little CPU is time the main thread waited: for the core, taken by the
// process's own V8 helper threads or by another process, or for the disk); the CPU of
// the server's main thread, thread pool and V8 threads; its page faults; and what else
// ran on the machine meanwhile. The server
// carries bench/targets/tails-probe.js. Linux only (/proc).
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { constants } from 'node:perf_hooks';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { YOUNG_GENERATION_FLAG } from '../src/v8-flags.ts';
import { startLoadGenerator, startTarget } from './harness.ts';
import type { Endpoint } from './load.ts';
import { pageFaults, processesCpu, threadsCpu } from './proc.ts';

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: { flags: { type: 'string', default: '' }, seconds: { type: 'string', default: '8' } },
});
const [endpoint = 'userinfo', engine = 'sqlite'] = positionals as [Endpoint?, string?];
const seconds = Number(options.seconds);
const here = path.dirname(new URL(import.meta.url).pathname);
const probeFile = path.join(tmpdir(), `gatehouse-tails-${process.pid}.json`);

interface Pause { at: number; kind: number; ms: number }
interface Stall { at: number; ms: number; userMs: number; systemMs: number }

/** What each process used between two readings, largest first, those that used nothing left out. */
const spent = (before: Map<string, number>, after: Map<string, number>) =>
  [...after].map(([key, value]) => [key, value - (before.get(key) ?? 0)] as const).filter(([, value]) => value > 0).sort((a, b) => b[1] - a[1]);

const flags = options.flags.split(/\s+/).filter(Boolean);
const [load, target] = await Promise.all([
  startLoadGenerator(),
  startTarget('targets/gatehouse.ts', [engine, '300'], {
    nodeFlags: [YOUNG_GENERATION_FLAG, ...flags, '--import', path.join(here, 'targets', 'tails-probe.js')],
    env: { TAILS_PROBE_FILE: probeFile },
  }),
]);
target.pin();
load.target.pin();
await load.register('gatehouse', target.ready);
const serverPid = target.ready.pid;
if (endpoint !== 'client_credentials') await load.login({ target: 'gatehouse', flavour: 'gatehouse', warmUpSeconds: 1, seconds: 4, concurrency: 8 });
const full = await load.endpoint({ target: 'gatehouse', endpoint, warmUpSeconds: 1, seconds: 6, connections: 10 });
const rate = Math.max(1, Math.round(full.perSecond * 0.7));
const threadsBefore = threadsCpu(serverPid);
const processesBefore = processesCpu();
const faultsBefore = pageFaults(serverPid);
const from = Date.now();
const paced = await load.endpoint({ target: 'gatehouse', endpoint, warmUpSeconds: 0, seconds, connections: 10, rate });
const until = Date.now();
const faultsAfter = pageFaults(serverPid);
const threadsAfter = threadsCpu(serverPid);
const processes = spent(processesBefore, processesCpu());
const loadPid = load.target.ready.pid;
await load.target.stop();
await target.stop();
const { pauses, stalls } = JSON.parse(readFileSync(probeFile, 'utf8')) as { pauses: Pause[]; stalls: Stall[] };
rmSync(probeFile, { force: true });

const inWindow = <T extends { at: number }>(list: T[]) => list.filter((item) => item.at >= from && item.at <= until);
const windowMs = until - from;
console.log(`${endpoint} on ${engine}${flags.length ? ` (${flags.join(' ')})` : ''}: flat out ${full.perSecond}/s; paced at ${rate}/s for ${seconds} s: p50 ${paced.p50ms} ms, p99 ${paced.p99ms} ms, failed ${paced.failed}`);

const kinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
const byKind = new Map<string, number[]>();
for (const pause of inWindow(pauses)) {
  const kind = kinds[pause.kind] ?? `kind ${pause.kind}`;
  byKind.set(kind, [...(byKind.get(kind) ?? []), pause.ms]);
}
console.log('\ngarbage collection in the paced window:');
for (const [kind, list] of byKind) {
  const total = list.reduce((a, b) => a + b, 0);
  console.log(`  ${kind.padEnd(20)} ${String(list.length).padStart(4)} pauses, ${total.toFixed(0).padStart(5)} ms in all (${((100 * total) / windowMs).toFixed(1)}% of the window), longest ${Math.max(...list).toFixed(1)} ms`);
}

const windowStalls = inWindow(stalls).sort((a, b) => b.ms - a.ms);
const over = (ms: number) => windowStalls.filter((stall) => stall.ms > ms).length;
console.log(`\nevent loop stalls in the paced window: ${windowStalls.length} over 4 ms, ${over(10)} over 10 ms, ${over(20)} over 20 ms; the longest (wall = main thread user + kernel + waiting, ms):`);
for (const stall of windowStalls.slice(0, 12)) {
  const waiting = Math.max(0, stall.ms - stall.userMs - stall.systemMs);
  console.log(`  ${stall.ms.toFixed(1).padStart(6)} = ${stall.userMs.toFixed(1)} + ${stall.systemMs.toFixed(1)} + ${waiting.toFixed(1)}`);
}

const threadMs = (thread: keyof typeof threadsAfter) => Math.round((threadsAfter[thread] - threadsBefore[thread]) / 1e6);
console.log(`\nthe server's threads in the paced window (CPU ms): main thread ${threadMs('main')}, thread pool ${threadMs('pool')}, V8's threads ${threadMs('v8')}`);
console.log(`the server's page faults in the paced window: ${faultsAfter.minor - faultsBefore.minor} minor, ${faultsAfter.major - faultsBefore.major} major (each a wait for the disk)`);
const others = processes.filter(([key]) => !key.endsWith(`#${serverPid}`) && !key.endsWith(`#${loadPid}`)).slice(0, 6);
console.log(`everything else on the machine (CPU ms): ${others.map(([key, value]) => `${key} ${value * 10}`).join(', ') || 'nothing measurable'}`);
