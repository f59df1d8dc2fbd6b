// Chromium (stands for Chrome and Edge), driven by playwright-core over CDP.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DriverPage } from './page.ts';
import { VIEWPORT, type BrowserPage, type EngineDriver } from './types.ts';
import { cleanUp, withTimeout } from './util.ts';
import { NAVIGATION_TIMEOUT_MS, waitUntil, WAIT_TIMEOUT_MS } from './wait.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export async function launchChromium(): Promise<BrowserPage> {
  return (await launchChromiumTab()).page;
}

/**
 * Chromium's BrowserPage together with playwright's own Page for the same tab, for the
 * Chromium-only tests that need what the shared interface leaves out: the keyboard,
 * resizing the viewport, scripts in the page (axe-core) and frames.
 */
export async function launchChromiumTab(): Promise<{ page: BrowserPage; tab: Page }> {
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      timeout: 30_000,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic',
      ],
    });
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { ...VIEWPORT }, deviceScaleFactor: 1 });
    context.setDefaultTimeout(WAIT_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    const page = await context.newPage();
    const opened = browser;
    const shared = new DriverPage(
      pageDriver(context, page, async () => {
        const failures = await cleanUp([['closing Chromium', () => opened.close()]]);
        if (failures.length) throw new Error(failures.join('; '));
      }),
    );
    return { page: shared, tab: page };
  } catch (error) {
    // Launched but not handed over: close it here, the caller has nothing to close.
    if (browser) await withTimeout(browser.close(), 10_000, 'closing Chromium').catch(() => {});
    throw error;
  }
}

/** One tab of the context; the context's viewport and certificate settings apply to pop-ups too. */
function pageDriver(context: BrowserContext, page: Page, close: () => Promise<void>): EngineDriver {
  return {
    engine: 'chromium',
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    async goto(url) {
      await page.goto(url, { waitUntil: 'load' });
    },
    url: async () => page.url(),
    click: (selector) => page.click(selector),
    type: (selector, keys) => page.locator(selector).pressSequentially(keys),
    pressBackspace: (selector) => page.locator(selector).press('Backspace'),
    screenshot: () => page.screenshot({ type: 'png' }),
    async cookies() {
      return (await context.cookies(page.url())).map((c) => ({
        name: c.name, value: c.value, secure: c.secure, httpOnly: c.httpOnly, path: c.path,
      }));
    },
    async popup(action, timeoutMs) {
      // Any page of the context that was not there before, not the page's 'popup' event: a
      // module page's Cross-Origin-Opener-Policy cuts the opener, and the window is still
      // new. The deadline counts from the end of the click, which waits (to find the
      // control) with deadlines of its own.
      const before = new Set(context.pages());
      await action();
      const popup = await waitUntil('a new window', () => context.pages().find((p) => !before.has(p)), {
        timeoutMs,
        prefix: '[chromium]',
      });
      return pageDriver(context, popup, async () => {
        if (!popup.isClosed()) await withTimeout(popup.close(), 10_000, 'closing the Chromium pop-up');
      });
    },
    close,
  };
}
