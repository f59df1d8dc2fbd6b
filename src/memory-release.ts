// Gives memory back once the server goes quiet. V8 keeps the heap pages a collection frees
// (mostly the young generation's, grown during start-up or a burst) committed in a pool for
// reuse, and its memory reducer releases them once the allocation rate is low. It samples
// that rate only at collections, so in a server that stops collecting because it went idle
// the last sample (taken busy) stands, the reducer waits for a low rate forever
// (`--trace-memory-reducer`: "high alloc", again every 8 s), and the pages stay: about 18 MiB
// of RSS after a start, more after a burst (docs/PERFORMANCE-LOG.md, Memory). One
// young-generation collection when the server turns quiet gives it a fresh sample; the
// reducer then does what it is for, at its own pace. Node has no call for that but V8's `gc`
// function; this takes it without --expose-gc.
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'minor'; execution: 'async' }) => Promise<void>;

/** V8's `gc` function, from a context made while --expose-gc is on (the flag is put back as it was). */
function youngGenerationCollection(): GcFunction | undefined {
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
 * spell (start-up counts as one), the first quiet look (busy under `quietBelow` of the time;
 * an idle Gatehouse is about 1%) makes one young-generation collection (15 ms measured after a
 * start), and no more until the loop has been busy again. `onNudge` is told each time (for
 * tests).
 */
export function releaseMemoryWhenQuiet({ intervalMs = 5000, quietBelow = 0.02, onNudge = () => {} } = {}): MemoryRelease {
  const gc = youngGenerationCollection();
  if (!gc) return { stop() {} };
  let owed = true;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    if (utilization >= quietBelow) owed = true;
    else if (owed) {
      owed = false;
      void gc({ type: 'minor', execution: 'async' }).then(onNudge);
    }
  }, intervalMs);
  // Never what keeps the process alive.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
