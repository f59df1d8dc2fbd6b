// The floor under every password login: argon2id verifies at Gatehouse's OWASP parameters
// through Gatehouse's own hasher, on the core(s) the server gets, with nothing else.
// Usage: node bench/targets/argon2-floor.ts <seconds> <concurrency>; prints `result <json>`.
import '../../src/threadpool.ts';
import { createPasswordHasher } from '../../src/crypto/index.ts';

const seconds = Number(process.argv[2] ?? '3');
const concurrency = Number(process.argv[3] ?? '8');
const hasher = createPasswordHasher(Number(process.env.GATEHOUSE_ARGON2_MAX_CONCURRENCY ?? 4));
const hash = await hasher.hash('Velvet-Harbor-42!');
let done = 0;
const started = performance.now();
const until = started + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      if (!(await hasher.verify(hash, 'Velvet-Harbor-42!'))) throw new Error('verify failed');
      done += 1;
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
process.stdout.write(`result ${JSON.stringify({ perSecond: Number((done / elapsed).toFixed(1)), completed: done, rssMiB: Math.round(process.memoryUsage().rss / 1048576) })}\n`);
