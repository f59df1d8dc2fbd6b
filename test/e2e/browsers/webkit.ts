// WebKitGTK's MiniBrowser (stands for Safari), driven by selenium-webdriver over classic
// WebDriver against Debian's WebKitWebDriver. MiniBrowser has no headless mode, so it
// runs on an Xvfb display of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { Builder, By, Key, type WebDriver } from 'selenium-webdriver';
import { DriverPage } from './page.ts';
import { VIEWPORT, type BrowserPage, type EngineDriver } from './types.ts';
import { cleanUp, freePort, killGroup, withTimeout } from './util.ts';
import { NAVIGATION_TIMEOUT_MS, waitUntil, WAIT_TIMEOUT_MS } from './wait.ts';

export const WEBKIT_DRIVER_PATH = '/usr/bin/WebKitWebDriver';
export const XVFB_PATH = '/usr/bin/Xvfb';

/** Starts Xvfb on a free display; resolves with the display number it reports on fd 3. */
async function startXvfb(): Promise<{ xvfb: ChildProcess; display: string }> {
  const xvfb = spawn(XVFB_PATH, ['-displayfd', '3', '-screen', '0', '1600x1200x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  xvfb.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<string>((resolve, reject) => {
    let out = '';
    const fd3 = xvfb.stdio[3] as NodeJS.ReadableStream;
    fd3.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^(\d+)\n/.exec(out);
      if (match) resolve(match[1] as string);
    });
    xvfb.once('error', reject);
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${stderr.trim()}`)));
  });
  try {
    const display = await withTimeout(ready, WAIT_TIMEOUT_MS, 'starting Xvfb');
    return { xvfb, display: `:${display}` };
  } catch (error) {
    await killGroup(xvfb);
    throw error;
  }
}

async function waitForDriver(url: string, driver: ChildProcess, output: () => string) {
  await waitUntil(`WebKitWebDriver to answer on ${url}/status`, async () => {
    if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited (${driver.exitCode}): ${output()}`);
    const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { value?: { ready?: boolean } };
    return body.value?.ready ? true : undefined;
  }, { why: output });
}

export async function launchWebKit(): Promise<BrowserPage> {
  let xvfb: ChildProcess | undefined;
  let webdriver: ChildProcess | undefined;
  let session: WebDriver | undefined;
  const closeAll = async () =>
    cleanUp([
      ['ending the WebKit session', () => session?.quit()],
      ['stopping WebKitWebDriver', () => killGroup(webdriver)],
      ['stopping Xvfb', () => killGroup(xvfb)],
    ]);
  try {
    const started = await startXvfb();
    xvfb = started.xvfb;
    const port = await freePort();
    let output = '';
    webdriver = spawn(WEBKIT_DRIVER_PATH, [`--port=${port}`], {
      env: { ...process.env, DISPLAY: started.display },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    webdriver.stdout?.on('data', keep);
    webdriver.stderr?.on('data', keep);
    const serverUrl = `http://127.0.0.1:${port}`;
    await waitForDriver(serverUrl, webdriver, () => output.trim());

    // Without a display the new session hangs silently: hence the time limit.
    session = await withTimeout(
      new Builder()
        .disableEnvironmentOverrides()
        .usingServer(serverUrl)
        .withCapabilities({
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { args: ['--automation'] },
          acceptInsecureCerts: true,
        })
        .build(),
      30_000,
      'starting a WebKit session',
    );
    const driver = session;
    await driver.manage().setTimeouts({ script: WAIT_TIMEOUT_MS, pageLoad: NAVIGATION_TIMEOUT_MS, implicit: 0 });
    await setViewport(driver);

    const windows = new Windows(driver);
    const engineDriver = windows.driver(await driver.getWindowHandle(), async () => {
      const failures = await closeAll();
      if (failures.length) throw new Error(failures.join('; '));
    });
    return new DriverPage(engineDriver);
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * One WebDriver session drives every window, through whichever is "current": each window's
 * driver switches to its own window before a command. The journey uses one window at a
 * time, so commands for two windows never interleave.
 */
class Windows {
  readonly #session: WebDriver;
  #current: string | undefined;

  constructor(session: WebDriver) {
    this.#session = session;
  }

  async #in<T>(handle: string, command: () => Promise<T>): Promise<T> {
    if (this.#current !== handle) {
      await this.#session.switchTo().window(handle);
      this.#current = handle;
    }
    return command();
  }

  driver(handle: string, close: () => Promise<void>): EngineDriver {
    const session = this.#session;
    const inWindow = <T>(command: () => Promise<T>) => this.#in(handle, command);
    return {
      engine: 'webkit',
      evaluate: (fn, arg) => inWindow(() => session.executeScript(fn as never, arg) as never),
      goto: (url) => inWindow(() => session.get(url)),
      url: () => inWindow(() => session.getCurrentUrl()),
      click: (selector) => inWindow(async () => session.findElement(By.css(selector)).click()),
      type: (selector, keys) => inWindow(async () => session.findElement(By.css(selector)).sendKeys(keys)),
      // Send Keys may put the caret at the end: select everything with the keyboard too.
      pressBackspace: (selector) =>
        inWindow(async () => session.findElement(By.css(selector)).sendKeys(Key.chord(Key.CONTROL, 'a'), Key.BACK_SPACE)),
      // The viewport: element screenshots come back black in WebKitGTK.
      screenshot: () => inWindow(async () => Buffer.from(await session.takeScreenshot(), 'base64')),
      cookies: () =>
        inWindow(async () =>
          (await session.manage().getCookies()).map((c) => ({
            name: c.name, value: c.value, secure: Boolean(c.secure), httpOnly: Boolean(c.httpOnly), path: c.path ?? '/',
          })),
        ),
      popup: async (action, timeoutMs) => {
        // A pop-up is a new window handle; window.open from a real click opens one.
        const before = new Set(await session.getAllWindowHandles());
        await action();
        const popup = await waitUntil(
          'a new window',
          async () => (await session.getAllWindowHandles()).find((h) => !before.has(h)),
          { timeoutMs, prefix: '[webkit]' },
        );
        await this.#in(popup, () => setViewport(session));
        return this.driver(popup, async () => {
          if (!(await session.getAllWindowHandles()).includes(popup)) return;
          await this.#in(popup, () => session.close());
          this.#current = undefined;
        });
      },
      close,
    };
  }
}

type Size = { width: number; height: number };
const sameSize = (a: Size, b: Size) => a.width === b.width && a.height === b.height;

/**
 * Sizes the window so that the viewport (not the window) is 1280x900. The window manager
 * applies a new size some time after setRect answers (longer on a busy machine): each
 * reading waits until the viewport has changed and then holds still, never for a time.
 */
async function setViewport(driver: WebDriver) {
  const measure = () =>
    driver.executeScript('return { width: window.innerWidth, height: window.innerHeight };') as Promise<Size>;
  let inner = await measure();
  let size: Size = { ...VIEWPORT };
  const seen: string[] = [];
  for (let attempt = 0; attempt < 5 && !sameSize(inner, VIEWPORT); attempt++) {
    const rect = await driver.manage().window().getRect();
    // A window already this size does not change, so there is nothing to wait for.
    if (!sameSize(rect, size)) {
      const before = inner;
      await driver.manage().window().setRect({ x: 0, y: 0, ...size });
      let previous: Size | undefined;
      inner = await waitUntil(
        `the viewport to follow the window's new size ${size.width}x${size.height}`,
        async () => {
          const current = await measure();
          const still = previous !== undefined && sameSize(current, previous);
          previous = current;
          return still && !sameSize(current, before) ? current : undefined;
        },
        { prefix: '[webkit]', why: () => `the viewport is ${previous?.width}x${previous?.height}, was ${before.width}x${before.height}` },
      );
    }
    seen.push(`window ${size.width}x${size.height} → viewport ${inner.width}x${inner.height}`);
    size = { width: size.width + VIEWPORT.width - inner.width, height: size.height + VIEWPORT.height - inner.height };
  }
  if (!sameSize(inner, VIEWPORT)) {
    throw new Error(`could not size the WebKit viewport to ${VIEWPORT.width}x${VIEWPORT.height}: ${seen.join('; ')}`);
  }
}
