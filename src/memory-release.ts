// Gives memory back once the server goes quiet. V8 keeps the heap pages a collection frees
// (mostly the young generation's, grown during start-up or a burst) committed in a pool for
// reuse, and only its memory reducer releases them: it runs when the allocation rate is low,
// a rate it samples at collections, so in a server that stops collecting because it is
// idle, the last sample (taken busy) holds and the pages stay, about 18 MiB of RSS after a
// start (docs/PERFORMANCE.md, Memory). Node exposes no way to say so other than V8's `gc`
// function; this takes it without --expose-gc, and calls it once per quiet spell.
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'major'; execution: 'async'; flavor: 'last-resort' }) => Promise<void>;

/** V8's `gc` function, from a context made while --expose-gc is on (the flag is put back as it was). */
function memoryReducingCollection(): GcFunction | undefined {
  const exposed = typeof globalThis.gc === 'function';
  if (!exposed) setFlagsFromString('--expose-gc');
  try {
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as GcFunction) : undefined;
  } finally {
    if (!exposed) setFlagsFromString('--no-expose-gc');
  }
}

export interface MemoryRelease {
  stop(): void;
}

/**
 * Every `intervalMs`, looks at how busy the event loop was since the last look. After a busy
 * spell (start-up counts as one), the first quiet interval (busy under `quietBelow` of the
 * time; an idle Gatehouse is about 1%) gets one memory-reducing collection, and no more until
 * the loop has been busy again and `atMostEveryMs` has passed. That collection holds the main
 * thread for one or two full collections (about 90 ms each measured on a 40 MiB heap), so a
 * request arriving just then waits; the spacing keeps a server whose traffic comes and goes
 * from paying it more than once a minute.
 */
export function releaseMemoryWhenQuiet({ intervalMs = 5000, quietBelow = 0.02, atMostEveryMs = 60_000 } = {}): MemoryRelease {
  const gc = memoryReducingCollection();
  if (!gc) return { stop() {} };
  let owed = true;
  let releasedAt = -Infinity;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    if (utilization >= quietBelow) owed = true;
    else if (owed && performance.now() - releasedAt >= atMostEveryMs) {
      owed = false;
      releasedAt = performance.now();
      void gc({ type: 'major', execution: 'async', flavor: 'last-resort' });
    }
  }, intervalMs);
  // Never what keeps the process alive.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
