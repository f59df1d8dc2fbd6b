// `node bench/ab.ts [--a="<node flags>"] [--b="<node flags>"] [--b-env K=V,...] [--a-tree DIR] [--b-tree DIR]
// [--measure login|introspection|userinfo|refresh|client_credentials] [--rounds N] [--seconds S] [--engine sqlite|postgres] [--p99]`:
// two Gatehouses that differ in one thing (V8 flags, an environment variable, or the code:
// `--b-tree` runs B from another checkout, e.g. a `git worktree` of the commit before a
// change, with its own node_modules), measured in turn (A B, B A, A B, ...) on the
// same pinned core by the same load generator, so that what the machine does meanwhile
// falls on both alike. Prints each round and the median ratio B/A. On a machine whose
// throughput drifts by 15% between runs (docs/PERFORMANCE.md), this is how a change of a
// few percent is told from noise: one `npm run bench` cannot. With `--p99` (an endpoint, not
// logins), each round also paces both at one rate, 70% of the first round's slower flat-out
// rate, and prints their p99s: how a change to the tail latency is told from a lucky run.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startLoadGenerator, startTarget } from './harness.ts';
import type { Endpoint } from './load.ts';

const { values: options } = parseArgs({
  options: {
    a: { type: 'string', default: '' },
    b: { type: 'string', default: '' },
    'a-env': { type: 'string', default: '' },
    'b-env': { type: 'string', default: '' },
    measure: { type: 'string', default: 'login' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    engine: { type: 'string', default: 'sqlite' },
    users: { type: 'string', default: '600' },
    'a-tree': { type: 'string', default: '' },
    'b-tree': { type: 'string', default: '' },
    p99: { type: 'boolean', default: false },
  },
});
const flags = (text: string) => text.split(/\s+/).filter(Boolean);
const env = (text: string) => Object.fromEntries(text.split(',').filter(Boolean).map((pair) => pair.split('=', 2) as [string, string]));
const seconds = Number(options.seconds);
const measure = options.measure;
// Logins are a closed loop of users, flat out: there is no rate to pace them at.
if (options.p99 && measure === 'login') throw new Error('--p99 paces an endpoint: give --measure introspection, userinfo, refresh or client_credentials');

const variants = {
  A: { nodeFlags: flags(options.a), env: env(options['a-env']), tree: options['a-tree'] },
  B: { nodeFlags: flags(options.b), env: env(options['b-env']), tree: options['b-tree'] },
};
/** The target script of a variant: this checkout's, or the one in its tree. */
const targetOf = (tree: string) => (tree ? path.resolve(tree, 'bench/targets/gatehouse.ts') : 'targets/gatehouse.ts');
const [load, a, b] = await Promise.all([
  startLoadGenerator(),
  startTarget(targetOf(variants.A.tree), [options.engine, options.users], variants.A),
  startTarget(targetOf(variants.B.tree), [options.engine, options.users], variants.B),
]);
for (const target of [load.target, a, b]) target.pin();
await load.register('A', a.ready);
await load.register('B', b.ready);
console.log(`A: ${JSON.stringify(variants.A)}\nB: ${JSON.stringify(variants.B)}\n${measure}, ${options.engine}, ${seconds} s a turn`);

// Every endpoint but client credentials needs the tokens of logins: each target logs in first.
if (measure !== 'login' && measure !== 'client_credentials') {
  for (const name of ['A', 'B']) await load.login({ target: name, flavour: 'gatehouse', warmUpSeconds: 1, seconds: 4, concurrency: 8 });
}
/** One load of the endpoint: flat out after a warm-up, or paced at `rate` a second (following a flat-out one, which warmed it). */
const endpointLoad = (name: string, rate?: number) =>
  load.endpoint({ target: name, endpoint: measure as Endpoint, warmUpSeconds: rate ? 0 : 1, seconds, connections: 10, ...(rate ? { rate } : {}) });
const turn = async (name: string) =>
  measure === 'login'
    ? (await load.login({ target: name, flavour: 'gatehouse', warmUpSeconds: 2, seconds, concurrency: 8 })).perSecond
    : (await endpointLoad(name)).perSecond;

const ratios: number[] = [];
const p99s: Record<string, number[]> = { A: [], B: [] };
let pacedRate = 0;
for (let round = 0; round < Number(options.rounds); round++) {
  // Who goes first alternates, so neither always follows the other's load.
  const order = round % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
  const rate: Record<string, number> = {};
  for (const name of order) rate[name] = await turn(name);
  const ratio = (rate.B ?? 0) / (rate.A ?? 1);
  ratios.push(ratio);
  console.log(`round ${round + 1} (${order.join(' then ')}): A ${rate.A}/s, B ${rate.B}/s, B/A ${ratio.toFixed(3)}`);
  if (!options.p99) continue;
  pacedRate ||= Math.max(1, Math.round(0.7 * Math.min(rate.A ?? 0, rate.B ?? 0)));
  for (const name of order) p99s[name]?.push((await endpointLoad(name, pacedRate)).p99ms);
  console.log(`  paced at ${pacedRate}/s: p99 A ${p99s.A?.at(-1)} ms, B ${p99s.B?.at(-1)} ms`);
}
const medianOf = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length % 2 ? (sorted[(sorted.length - 1) / 2] ?? 0) : ((sorted[sorted.length / 2 - 1] ?? 0) + (sorted[sorted.length / 2] ?? 0)) / 2;
};
console.log(`median B/A ${medianOf(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})`);
if (p99s.A?.length) console.log(`p99 at ${pacedRate}/s: median A ${medianOf(p99s.A)} ms (${p99s.A.join(', ')}), B ${medianOf(p99s.B ?? [])} ms (${p99s.B?.join(', ')})`);
await load.target.stop();
await Promise.all([a.stop(), b.stop()]);
