// What the browser tests need besides the browser: reading a QR code off a screenshot
// (like a phone would), TOTP codes of a step the server accepts, and clean-up.
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import type { TestClock } from '../helpers/clock.ts';
import { totpAt } from '../helpers/totp.ts';
import type { BrowserPage, EngineName } from './browsers/index.ts';
import { waitUntil } from './browsers/wait.ts';

/** Saves the next numbered screenshot of the journey, of the main page or of `of` (a pop-up). */
export type Shot = (step: string, of?: BrowserPage) => Promise<Buffer>;

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

/** A journey's numbered screenshots, in test-output/screenshots/<folder>/ (emptied first). */
export function screenshots(page: BrowserPage, folder: string): Shot {
  const dir = `${SCREENSHOTS}${folder}/`;
  rmSync(dir, { recursive: true, force: true });
  let count = 0;
  return (step, of = page) => of.screenshot(`${dir}${String(++count).padStart(2, '0')}-${step}.png`);
}

/**
 * The bound on one browser test. Each step has its own deadline (browsers/wait.ts), so this
 * only stops a run that is stuck between steps. A busy machine is slow: with the two CPUs
 * loaded twelve times over, a journey that takes 60-90 s on a quiet one took up to 270 s.
 */
export const JOURNEY_TIMEOUT_MS = 600_000;

const STEP_MS = 30_000;

// jsqr is CommonJS: Node hands over module.exports, which also carries `default`.
const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ?? jsQRModule) as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => { data: string } | null;

/** The text of the QR code in a PNG screenshot, or null if none is readable. */
export function decodeQr(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return jsQR(pixels, image.width, image.height)?.data ?? null;
}

/**
 * Reads the QR code off the screen as a phone would: waits for the image (loaded), then
 * takes screenshots until one decodes. `shoot` saves each one under `step`.
 */
export async function readQrFromScreen(page: BrowserPage, image: string, shoot: (step: string) => Promise<Buffer>, step: string): Promise<string> {
  let attempts = 0;
  return waitUntil(`a readable QR code in ${image}`, async () => {
    await page.scrollTo(image);
    return decodeQr(await shoot(attempts++ === 0 ? step : `${step}-retry`)) ?? undefined;
  }, { prefix: `[${page.engine}]`, why: () => `${attempts} screenshots, none readable` });
}

export const totpStep = (unixMs: number) => Math.floor(unixMs / STEP_MS);

// The clock of the Gatehouse on stage (stage.ts sets it for the scene): the wall clock,
// running, which a test moves on instead of waiting for a later TOTP step. The phone's
// codes and every "now" a test compares with the server's come from it.
let stageClock: TestClock | null = null;

/** stage.ts: the scene's server clock, then none again. */
export function playOnClock(clock: TestClock | null) {
  stageClock = clock;
}

/** Now, as the Gatehouse on stage counts it (the wall clock when none is). */
export const stageNow = () => (stageClock ? stageClock() : Date.now());

/** The TOTP step the Gatehouse on stage is in. */
export const currentStep = () => totpStep(stageNow());

/**
 * A code for `secret` from a step no earlier than `notBeforeStep`, as a phone shows it: the
 * current step's or, when that one is used up, the next step's, as a phone whose clock runs
 * up to a step ahead shows it. The server accepts a step either side of its own, so either
 * code stays good for a whole step at least: no margin to keep. For a step two or more
 * ahead (three codes wanted within one step), the stage's clock is moved on to the step
 * before it, as the 30 s of waiting would (off stage: waited, in real time). `movedMs`:
 * how far.
 */
export async function freshCode(secret: string, notBeforeStep = 0): Promise<{ code: string; step: number; movedMs: number }> {
  let movedMs = 0;
  for (;;) {
    const now = stageNow();
    const current = totpStep(now);
    const step = Math.max(notBeforeStep, current);
    if (step <= current + 1) return { code: totpAt(secret, step * STEP_MS), step, movedMs };
    const untilStepBefore = (step - 1) * STEP_MS - now + 250;
    movedMs += untilStepBefore;
    if (stageClock) stageClock.advance(untilStepBefore);
    else await sleep(untilStepBefore);
  }
}

/** A six-digit code that no step the server accepts now (±1) would produce. */
export function wrongCode(secret: string): string {
  const now = stageNow();
  const accepted = new Set([-2, -1, 0, 1, 2].map((offset) => totpAt(secret, now, offset)));
  const current = totpAt(secret, now);
  for (let shift = 1; shift < 10; shift++) {
    const candidate = [...current].map((digit) => String((Number(digit) + shift) % 10)).join('');
    if (!accepted.has(candidate)) return candidate;
  }
  throw new Error('no wrong code found (cannot happen)');
}

/** Runs every clean-up step even when one fails, and only warns, so the test's own failure stays the one reported. */
export async function cleanUp(engine: EngineName, steps: [what: string, step: () => unknown][]) {
  const failures: string[] = [];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(`${what}: ${(error as Error).message}`);
    }
  }
  if (failures.length) console.warn(`# [${engine}] clean-up: ${failures.join('; ')}`);
}
