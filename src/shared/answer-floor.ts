// An answer that must not come sooner than a fixed time after the request started: where
// the work behind two answers differs in cost (a mail queued or not, a user's failure
// recorded or not) and the answer must not tell which was done, both wait the same floor.
// The floor costs no CPU and holds nothing (no connection, no slot): it is a timer.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The least time a neutral answer takes (the password step's failures, forgot-password,
 * forgot-company): well over the slowest ordinary case, argon2id with its writes. The
 * running value is CoreDeps' `answerFloorMs`: this, unless a test that does not measure the
 * floor shortens it (GatehouseOptions); it is not a setting an operator could lower.
 */
export const ANSWER_FLOOR_MS = 250;

/**
 * Starts the floor now; the function returned resolves once `ms` have passed since, never
 * sooner (a timer may fire a little early against the monotonic clock, so it is checked
 * and waited again).
 */
export function answerFloor(ms: number): () => Promise<void> {
  const deadline = performance.now() + ms;
  return async () => {
    for (let left = deadline - performance.now(); left > 0; left = deadline - performance.now()) await sleep(Math.ceil(left));
  };
}

/** Runs `work`; whether it returns or throws, not sooner than `ms` after it started. */
export async function withFloor<T>(ms: number, work: () => Promise<T>): Promise<T> {
  const floorReached = answerFloor(ms);
  try {
    return await work();
  } finally {
    await floorReached();
  }
}
