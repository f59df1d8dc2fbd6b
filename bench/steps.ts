// `node bench/steps.ts [gatehouse|better-auth] [sqlite|postgres] [logins]`: what each request
// of a login costs the server in CPU, by thread. Logins run one at a time (so every request's
// work is its own), and around each request the server's threads are read from
// /proc/<pid>/task/*/schedstat (time on a CPU, in nanoseconds: waiting for the disk or for
// the core is not counted). Prints the mean per request and per login: the main thread
// (the event loop), the thread pool (password hashes, the ID token's signature) and V8's
// own threads (garbage collection, compilation). The first third of the logins warm up.
// Linux only. A closed loop of concurrent logins (bench/run.ts) is what measures a rate;
// this says where a login's CPU goes, which a profile's wall-clock samples blur when the
// hash shares the core. With `--profile` the server runs under --cpu-prof, and each
// request's self time is printed by function too (bench/request-profile.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTarget } from './harness.ts';
import { TotpBudget, betterAuthLogin, gatehouseModuleLogin } from './logins.ts';
import { type ThreadsCpu, threadsCpu } from './proc.ts';
import { formatByRequest, monotonicUs, selfTimeByRequest, type RequestWindow } from './request-profile.ts';

const profiling = process.argv.includes('--profile');
const [flavour = 'gatehouse', engine = 'sqlite', count = '300'] = process.argv.slice(2).filter((arg) => arg !== '--profile');
const logins = Number(count);
const warmUp = Math.floor(logins / 3);

const profileDir = profiling ? mkdtempSync(path.join(tmpdir(), 'steps-profile-')) : undefined;
const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const target = flavour === 'better-auth' ? await startTarget('targets/better-auth.ts', ['400'], { nodeFlags }) : await startTarget('targets/gatehouse.ts', [engine, '400'], { nodeFlags });
const { pid, users = [], baseUrl, oidc, redirectUri } = target.ready;

type Threads = ThreadsCpu;
const cpuOfThreads = () => threadsCpu(pid);

// Every request the login makes goes through fetch: measured around it, body read, and a
// moment after (what the server does once it has answered belongs to this request).
const byRequest = new Map<string, Threads & { n: number }>();
const windows: RequestWindow[] = [];
let measuring = false;
const fetchOfNode = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const key = `${init?.method ?? 'GET'} ${url.pathname.replace(/\/[A-Za-z0-9_-]{20,}/g, '/:id')}`;
  const before = cpuOfThreads();
  const startUs = monotonicUs();
  const response = await fetchOfNode(input, init);
  await response.clone().arrayBuffer();
  await new Promise((resolve) => setTimeout(resolve, 2));
  const after = cpuOfThreads();
  if (measuring) {
    windows.push({ key, startUs, endUs: monotonicUs() });
    const sum = byRequest.get(key) ?? { n: 0, main: 0, pool: 0, v8: 0 };
    sum.n += 1;
    for (const thread of ['main', 'pool', 'v8'] as const) sum[thread] += after[thread] - before[thread];
    byRequest.set(key, sum);
  }
  return response;
};

const budget = new TotpBudget(users);
for (let i = 0; i < logins; i++) {
  measuring = i >= warmUp;
  const turn = budget.take();
  if (!turn) throw new Error('the users ran out of TOTP codes: ask for fewer logins');
  if (flavour === 'better-auth') await betterAuthLogin(baseUrl, turn);
  else await gatehouseModuleLogin(baseUrl, oidc as NonNullable<typeof oidc>, redirectUri as string, turn);
}
await target.stop();

const measured = logins - warmUp;
const ms = (ns: number, n: number) => (ns / n / 1e6).toFixed(2).padStart(6);
console.log(`${flavour}${flavour === 'gatehouse' ? ` on ${engine}` : ''}: CPU ms per request, mean of ${measured} logins`);
console.log(`${'request'.padEnd(40)} ${'count'.padStart(5)} ${'main'.padStart(6)} ${'pool'.padStart(6)} ${'V8'.padStart(6)}`);
const perLogin: Threads = { main: 0, pool: 0, v8: 0 };
for (const [key, sum] of byRequest) {
  console.log(`${key.padEnd(40)} ${String(sum.n / measured).padStart(5)} ${ms(sum.main, sum.n)} ${ms(sum.pool, sum.n)} ${ms(sum.v8, sum.n)}`);
  for (const thread of ['main', 'pool', 'v8'] as const) perLogin[thread] += sum[thread];
}
console.log(`${'a login'.padEnd(40)} ${''.padStart(5)} ${ms(perLogin.main, measured)} ${ms(perLogin.pool, measured)} ${ms(perLogin.v8, measured)}`);
if (profileDir) {
  console.log(formatByRequest(selfTimeByRequest(profileDir, windows), new Map([...byRequest].map(([key, sum]) => [key, sum.n]))));
  rmSync(profileDir, { recursive: true, force: true });
}
