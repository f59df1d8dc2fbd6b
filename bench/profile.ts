// `node bench/profile.ts <login|client_credentials|introspection|userinfo|refresh> [sqlite|postgres|bare]`:
// runs one load against a Gatehouse started with --cpu-prof (pinned like the benchmark),
// or against bare oidc-provider (`bare`: the benchmark's reference, token endpoints only),
// then prints where its CPU time went: busy time per request, self time by function and by
// package. Profiles of the two side by side say what Gatehouse adds to a request, in
// microseconds. The profile itself (open it in Chrome DevTools) is left in
// bench/results/profiles/.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startLoadGenerator, startTarget } from './harness.ts';
import type { Endpoint } from './load.ts';

const [scenario = 'client_credentials', engine = 'sqlite'] = process.argv.slice(2);
const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'profiles', `${scenario}-${engine}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const bare = engine === 'bare';
if (bare && scenario === 'login') throw new Error('bare oidc-provider has no login of its own: profile a token endpoint against it');
const nodeFlags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
const [target, load] = await Promise.all([
  bare ? startTarget('targets/bare-oidc.ts', ['100'], { nodeFlags }) : startTarget('targets/gatehouse.ts', [engine, '300'], { nodeFlags }),
  startLoadGenerator(),
]);
target.pin();
load.target.pin();
const name = bare ? 'bare' : 'gatehouse';
await load.register(name, target.ready);
// Every Gatehouse load but client credentials needs a login first (its tokens, or the
// logins themselves); bare hands out its users' tokens ready-made.
const logins = !bare && scenario !== 'client_credentials' ? await load.login({ target: name, flavour: 'gatehouse', warmUpSeconds: 0, seconds: scenario === 'login' ? 15 : 4, concurrency: 8 }) : undefined;
const result = scenario === 'login' ? logins : await load.endpoint({ target: name, endpoint: scenario as Endpoint, warmUpSeconds: 0, seconds: 8, connections: 10 });
await load.target.stop();
// A little less than the load's length, so that none of what came before is counted.
const loadSeconds = scenario === 'login' ? 14 : 7.5;
await target.stop();
console.log(`${scenario} on ${engine}: ${result?.perSecond}/s, failed ${result?.failed}`);

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('no profile written');
const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number };
// Only the measured load counts: not the start-up (modules loading, users made) nor the
// logins that made the tokens. The load ends with the last sample inside oidc-provider;
// it began its length before. Idle time is left out too: shares are of the busy time.
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const inProvider = (id: number) => {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (byId.get(at)?.callFrame.url.includes('node_modules/oidc-provider/')) return true;
  return false;
};
const times: number[] = [];
profile.timeDeltas.reduce((t, delta) => (times.push(t + delta), t + delta), profile.startTime);
let end = times.at(-1) ?? 0;
for (let i = profile.samples.length - 1; i >= 0; i--) if (inProvider(profile.samples[i] as number)) { end = times[i] as number; break; }
const start = end - loadSeconds * 1e6;
const self = new Map<number, number>();
let idle = 0;
profile.samples.forEach((id, i) => {
  const at = times[i] as number;
  if (at < start || at > end) return;
  if (byId.get(id)?.callFrame.functionName === '(idle)') idle += profile.timeDeltas[i] ?? 0;
  else self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`the load's last ${loadSeconds} s: busy ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s; shares below are of the busy time`);
// The process's busy time over the requests answered in the window (the rate under the
// profiler, which slows the server): what one request costs the core, to set beside bare's.
if (result?.perSecond) console.log(`busy time per ${scenario === 'login' ? 'login' : 'request'}: ${Math.round(total / (result.perSecond * loadSeconds))} us (under the profiler)`);
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const node of profile.nodes) {
  const t = self.get(node.id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/');
  const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + t);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/src/') ? 'gatehouse src' : url.startsWith('node:') ? 'node core' : url === '' ? `(${functionName})` : 'other');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + t);
}
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log(`\nself time by package:\n${top(byPackage, 15)}\n\nself time by function:\n${top(byFunction, 30)}`);
