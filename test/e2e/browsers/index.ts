// One entry point for the browser engines the end-to-end tests drive. Only Debian's
// browsers are used: nothing is downloaded.
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH, launchChromium, launchChromiumTab } from './chromium.ts';
import { FIREFOX_PATH, launchFirefox } from './firefox.ts';
import type { BrowserPage, EngineName } from './types.ts';
import { launchWebKit, WEBKIT_DRIVER_PATH, XVFB_PATH } from './webkit.ts';
import { withTimeout } from './util.ts';

export type { BrowserCookie, BrowserPage, EngineName } from './types.ts';
export { VIEWPORT } from './types.ts';

export const ALL_ENGINES: readonly EngineName[] = ['chromium', 'firefox', 'webkit'];

const needs: Record<EngineName, { files: string[]; packages: string[] }> = {
  chromium: { files: [CHROMIUM_PATH], packages: ['chromium'] },
  firefox: { files: [FIREFOX_PATH], packages: ['firefox-esr'] },
  webkit: { files: [WEBKIT_DRIVER_PATH, XVFB_PATH], packages: ['webkit2gtk-driver', 'xvfb'] },
};

/**
 * The engines this run drives: all three, or the comma-separated list in
 * GATEHOUSE_E2E_BROWSERS (e.g. `chromium` for a quick local run).
 */
export function enginesFromEnv(value = process.env.GATEHOUSE_E2E_BROWSERS): EngineName[] {
  if (!value?.trim()) return [...ALL_ENGINES];
  const names = value.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const unknown = names.filter((name) => !ALL_ENGINES.includes(name as EngineName));
  if (unknown.length) throw new Error(`GATEHOUSE_E2E_BROWSERS: unknown engine(s) ${unknown.join(', ')}; use ${ALL_ENGINES.join(', ')}`);
  return names as EngineName[];
}

/** Throws a message that says how to install what is missing. */
export function assertInstalled(engine: EngineName) {
  const { files, packages } = needs[engine];
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length === 0) return;
  throw new Error(
    `${engine}: ${missing.join(', ')} not found. The browser tests use Debian's browsers, never downloaded ones. Install with:\n` +
      `  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${packages.join(' ')}\n` +
      (engine === 'chromium'
        ? '(in CI, .ci/run installs it). Chromium is the one engine every run needs.'
        : '(in CI, .ci/run installs them), or leave this engine out: GATEHOUSE_E2E_BROWSERS=chromium,firefox,webkit lists the ones to run.'),
  );
}

export async function launchBrowser(engine: EngineName): Promise<BrowserPage> {
  assertInstalled(engine);
  const launch = { chromium: launchChromium, firefox: launchFirefox, webkit: launchWebKit }[engine];
  // Each launcher has its own time limits and cleans up after itself when it fails; this
  // limit is the last resort, and a browser that arrives after it is closed at once.
  const launching = launch();
  try {
    return await withTimeout(launching, 90_000, `launching ${engine}`);
  } catch (error) {
    launching.then((page) => page.close()).catch(() => {});
    throw error;
  }
}

/**
 * Chromium with playwright's own Page for the same tab, for Chromium-only tests that need
 * the keyboard, viewport sizes, scripts in the page (axe-core) or frames.
 */
export async function launchChromiumWithTab() {
  assertInstalled('chromium');
  const launching = launchChromiumTab();
  try {
    return await withTimeout(launching, 90_000, 'launching chromium');
  } catch (error) {
    launching.then(({ page }) => page.close()).catch(() => {});
    throw error;
  }
}
