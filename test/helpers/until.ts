// Waiting on a condition, never on the clock: check, yield, check again, and fail with
// what was awaited once the bound is spent.
import { setTimeout as delay } from 'node:timers/promises';

export async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    // A short yield between checks, so a busy loop does not starve the thing awaited.
    await delay(20);
  }
}
