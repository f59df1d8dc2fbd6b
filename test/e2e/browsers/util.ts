// Small helpers for driving browser processes: time limits and process clean-up.
import type { ChildProcess } from 'node:child_process';

/** Rejects if `promise` takes longer than `ms`; the timer never keeps the process alive. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every clean-up step even if one fails; reports the first failure. */
export async function cleanUp(steps: Array<[string, () => Promise<unknown> | unknown]>, timeoutMs = 10_000) {
  const failures: string[] = [];
  for (const [what, step] of steps) {
    try {
      await withTimeout(Promise.resolve().then(step), timeoutMs, what);
    } catch (error) {
      failures.push(`${what}: ${(error as Error).message}`);
    }
  }
  return failures;
}

/**
 * Ends a child started with `detached: true` and everything it started (its process
 * group): TERM first, KILL if it is still there after `graceMs`.
 */
export async function killGroup(child: ChildProcess | undefined, graceMs = 3_000): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), name);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  try {
    await withTimeout(exited, graceMs, 'process exit');
  } catch {
    signal('SIGKILL');
    await withTimeout(exited, graceMs, 'process exit after SIGKILL').catch(() => {});
  }
}

export { freePort } from '../../helpers/net.ts';
