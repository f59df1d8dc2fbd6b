// The one way the browser tests wait: for a condition, never for a length of time. A
// browser under load takes as long as it takes; a fixed pause is either too short on a
// busy machine (a flake) or too long on an idle one (a slow suite). So every wait polls a
// condition until it holds, with a generous deadline that only matters when something is
// really wrong, and then fails saying what it waited for and what it saw instead.
import { setTimeout as sleep } from 'node:timers/promises';

/** Long enough for a step on a machine whose CPUs are busy with other work. */
export const WAIT_TIMEOUT_MS = 30_000;
/** A page load (the web app's scripts included) on such a machine. */
export const NAVIGATION_TIMEOUT_MS = 60_000;
const INTERVAL_MS = 100;

export interface WaitOptions {
  /** The overall deadline; default WAIT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Time between attempts; default 100 ms. */
  intervalMs?: number;
  /** What was seen instead, for the failure message (the last attempt's state). */
  why?: () => string | Promise<string>;
  /** Where it waited (a page's address), for the failure message. */
  where?: () => string | Promise<string>;
  /** Starts the failure message, e.g. the engine's name: "[firefox]". */
  prefix?: string;
}

export class WaitTimeout extends Error {
  override name = 'WaitTimeout';
}

/**
 * Runs `attempt` until it returns something other than undefined, and returns that. An
 * attempt that throws counts as "not yet" (a navigation can destroy the page mid-script);
 * its error is reported if the deadline passes. Fails with "timed out after N ms waiting
 * for <what>: <why>".
 */
export async function waitUntil<T>(what: string, attempt: () => Promise<T | undefined> | T | undefined, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? WAIT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let lastError: unknown;
    try {
      const result = await attempt();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const report = async (part: (() => string | Promise<string>) | undefined) =>
        part ? Promise.resolve().then(part).catch((error: Error) => `(${error.message})`) : '';
      const detail = lastError ? `last error: ${(lastError as Error).message}` : await report(options.why);
      const where = await report(options.where);
      throw new WaitTimeout(
        `${options.prefix ? `${options.prefix} ` : ''}timed out after ${timeoutMs} ms waiting for ${what}` +
          `${where ? ` at ${where}` : ''}${detail ? `: ${detail}` : ''}`,
      );
    }
    await sleep(options.intervalMs ?? INTERVAL_MS);
  }
}
