// The floor under every password login: argon2id verifies at Gatehouse's OWASP parameters
// through Gatehouse's own hasher, on the core(s) the server gets, with nothing else.
// Usage: node bench/targets/argon2-floor.ts. A target like the servers (protocol.ts): ready
// once the hash exists, then `run {"warmUpSeconds":w,"seconds":s,"concurrency":n}` verifies
// n at a time for w + s seconds and answers `run <json>` with the rate over the last s.
import '../../src/threadpool.ts';
import { createPasswordHasher } from '../../src/crypto/index.ts';
import { windowRate } from '../window.ts';
import { announce, serveUntilParentLeaves } from './protocol.ts';

const hasher = createPasswordHasher(Number(process.env.GATEHOUSE_ARGON2_MAX_CONCURRENCY ?? 4));
const hash = await hasher.hash('Velvet-Harbor-42!');

/** Verifies flat out, `concurrency` at a time; the rate over the last `seconds` (window.ts). */
async function run(args: unknown) {
  const { warmUpSeconds, seconds, concurrency } = args as { warmUpSeconds: number; seconds: number; concurrency: number };
  const verifies: Array<{ start: number; end: number }> = [];
  const from = performance.now() + warmUpSeconds * 1000;
  const until = from + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const start = performance.now();
        if (!(await hasher.verify(hash, 'Velvet-Harbor-42!'))) throw new Error('verify failed');
        verifies.push({ start, end: performance.now() });
      }
    }),
  );
  return { perSecond: Number(windowRate(verifies, from, until).toFixed(1)), completed: verifies.length, rssMiB: Math.round(process.memoryUsage().rss / 1048576) };
}

announce({ baseUrl: '', pid: process.pid });
serveUntilParentLeaves(async () => {}, undefined, { run });
