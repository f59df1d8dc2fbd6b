// Firefox ESR, driven by puppeteer-core over WebDriver BiDi (Playwright needs its own
// patched Firefox; selenium would need geckodriver, which Debian 12 lacks).
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { locationInPage } from './dom.ts';
import { DriverPage } from './page.ts';
import { VIEWPORT, type BrowserPage, type EngineDriver } from './types.ts';
import { cleanUp, withTimeout } from './util.ts';
import { NAVIGATION_TIMEOUT_MS, WAIT_TIMEOUT_MS, waitUntil } from './wait.ts';

export const FIREFOX_PATH = '/usr/bin/firefox-esr';

export async function launchFirefox(): Promise<BrowserPage> {
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX_PATH,
      headless: true,
      acceptInsecureCerts: true,
      defaultViewport: { ...VIEWPORT, deviceScaleFactor: 1 },
      timeout: 30_000,
      protocolTimeout: 30_000,
      extraPrefsFirefox: {
        // A closed network: no update checks, telemetry or captive-portal probes.
        'app.update.enabled': false,
        'network.captive-portal-service.enabled': false,
        'network.connectivity-service.enabled': false,
        'datareporting.policy.dataSubmissionEnabled': false,
        'toolkit.telemetry.enabled': false,
        'browser.safebrowsing.malware.enabled': false,
        'browser.safebrowsing.phishing.enabled': false,
      },
    });
    const opened = browser;
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    const driver = await pageDriver(opened, page, async () => {
      const failures = await cleanUp([['closing Firefox', () => opened.close()]]);
      // close() can hang on a stuck BiDi connection: make sure the process is gone.
      const child = opened.process();
      if (child?.pid && child.exitCode === null) child.kill('SIGKILL');
      if (failures.length) throw new Error(failures.join('; '));
    });
    return new DriverPage(driver);
  } catch (error) {
    if (browser) {
      const child = browser.process();
      await withTimeout(browser.close(), 10_000, 'closing Firefox').catch(() => {});
      if (child?.pid && child.exitCode === null) child.kill('SIGKILL');
    }
    throw error;
  }
}

/** One tab; a pop-up gets the same viewport and time limits as the first tab. */
async function pageDriver(browser: Browser, page: Page, close: () => Promise<void>): Promise<EngineDriver> {
  // A pop-up's browsing context exists before its window does: until Firefox has attached
  // it, setViewport fails ("browser is null"). Waited for, like every other condition.
  await waitUntil('the Firefox window to take a viewport', async () => {
    await page.setViewport({ ...VIEWPORT, deviceScaleFactor: 1 });
    return true;
  });
  page.setDefaultTimeout(WAIT_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  // puppeteer's page.url() over BiDi is the address of the last load event it has
  // processed: a pop-up already showing the module can still report about:blank. The
  // document's own location is the truth; page.url() only while no document answers.
  const url = async () => {
    try {
      return await page.evaluate(locationInPage);
    } catch {
      return page.url();
    }
  };
  return {
    engine: 'firefox',
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    async goto(address) {
      await page.goto(address, { waitUntil: 'load' });
    },
    url,
    click: (selector) => page.click(selector),
    type: (selector, keys) => page.type(selector, keys),
    async pressBackspace(selector) {
      await page.focus(selector);
      await page.keyboard.press('Backspace');
    },
    async screenshot() {
      return Buffer.from(await page.screenshot({ type: 'png' }));
    },
    async cookies() {
      return (await page.cookies(await url())).map((c) => ({
        name: c.name, value: c.value, secure: c.secure, httpOnly: Boolean(c.httpOnly), path: c.path,
      }));
    },
    async popup(action, timeoutMs) {
      // A new top-level browsing context (window.open opens a tab): any page target that
      // was not there before the click. Not the page's 'popup' event: that needs the
      // opener, which a module page's Cross-Origin-Opener-Policy cuts. The deadline counts
      // from the end of the click, which waits (to find the control) with deadlines of its own.
      const before = new Set(browser.targets());
      await action();
      const target = await waitUntil(
        'a new window',
        () => browser.targets().find((candidate) => candidate.type() === 'page' && !before.has(candidate)),
        { timeoutMs, prefix: '[firefox]' },
      );
      const popup = await target.page();
      if (!popup) throw new Error('the new Firefox window has no page');
      return pageDriver(browser, popup, async () => {
        if (!popup.isClosed()) await withTimeout(popup.close(), 10_000, 'closing the Firefox pop-up');
      });
    },
    close,
  };
}
