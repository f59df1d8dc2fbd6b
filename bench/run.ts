// Benchmarks: the costs that bound how many logins a node takes. Run with `npm run bench`;
// results go to stdout and bench/results/latest.json. Numbers are for this machine only:
// compare runs on one machine, never across machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createPasswordHasher } from '../src/crypto/index.ts';
import { checkNewPassword } from '../src/credentials/index.ts';
import { Agent } from '../test/helpers/agent.ts';
import { startTestServer } from '../test/helpers/server.ts';

interface Result {
  name: string;
  operations: number;
  seconds: number;
  perSecond: number;
  p50ms?: number;
  p95ms?: number;
  rssMiB: number;
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(name: string, operations: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < operations) {
        const i = next++;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    operations,
    seconds: Number(seconds.toFixed(3)),
    perSecond: Number((operations / seconds).toFixed(1)),
    p50ms: Number(percentile(latencies, 50).toFixed(2)),
    p95ms: Number(percentile(latencies, 95).toFixed(2)),
    rssMiB: Math.round(process.memoryUsage().rss / 1048576),
  };
}

const results: Result[] = [];
const hasher = createPasswordHasher(availableParallelism());
const hash = await hasher.hash('Velvet-Harbor-42!');
results.push(await measure('argon2id verify (m=19MiB,t=2,p=1)', 40, availableParallelism(), () => hasher.verify(hash, 'Velvet-Harbor-42!')));
results.push(await measure('password policy check (zxcvbn-ts)', 200, 1, async (i) => checkNewPassword(`Velvet-Harbor-${i}!`)));

const server = await startTestServer({ realClock: true });
try {
  const agent = new Agent(server.baseUrl);
  results.push(
    await measure('HTTP identify step (SQLite)', 500, 8, () =>
      agent.post('/api/login/identify', { username: 'nobody', companyName: 'Nowhere Inc' }),
    ),
  );
  results.push(
    await measure('HTTP password step, unknown user (dummy argon2)', 40, 4, async () => {
      const a = new Agent(server.baseUrl);
      await a.post('/api/login/identify', { username: 'nobody', companyName: 'Nowhere Inc' });
      await a.post('/api/login/password', { password: 'Wrong-Password-1!' });
    }),
  );
} finally {
  await server.close();
}

console.table(results);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/latest.json', import.meta.url),
  JSON.stringify({ node: process.version, cores: availableParallelism(), at: new Date().toISOString(), results }, null, 2) + '\n',
);
