// A pop-up's address is a condition to wait for, in every engine. A window that was just
// opened shows about:blank (origin "null") until its navigation commits, and a driver can
// learn of a navigation after the page already shows it: puppeteer over BiDi updates
// page.url() only at DOMContentLoaded, so the Firefox journey once read the Demo Module's
// origin as 'null' with "Signed in as" already on screen. Here the module's server holds
// one step of a sign-in-like redirect chain until the test lets it go, so the window is in
// that state for certain, not by luck of timing: each redirect hop in turn (the window is
// handed over mid-navigation), then the home page's end (its text is shown, the document
// not yet loaded). waitForUrl must return the module's address in every case.
//
//   npx node --test test/e2e/popup-address.test.ts
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { describe, test } from 'node:test';
import { assertInstalled, enginesFromEnv, launchBrowser, type BrowserPage } from './browsers/index.ts';
import { freePort, withTimeout } from './browsers/util.ts';
import { NAVIGATION_TIMEOUT_MS } from './browsers/wait.ts';
import { cleanUp, JOURNEY_TIMEOUT_MS } from './support.ts';

/** Redirects before the module's home page, like /login → Gatehouse → /callback → /. */
const HOPS = 3;
const HOME_TEXT = 'Signed in to the test module';
// Both sides send COOP same-origin, as Gatehouse and the Demo Module do: the pop-up is found
// as a new window, not through its opener.
const HEADERS = { 'content-type': 'text/html; charset=utf-8', 'cross-origin-opener-policy': 'same-origin' };

/** Where the module's server stops: before answering a redirect hop, or before the home page's end. */
type HoldAt = number | 'home page end';
const HOLDS: HoldAt[] = [...Array.from({ length: HOPS }, (_, hop) => hop), 'home page end'];

/** One step the module's server holds: `reached` when the pop-up gets there, finished after release(). */
class Hold {
  readonly at: HoldAt;
  readonly reached: Promise<void>;
  readonly released: Promise<void>;
  arrive = () => {};
  release = () => {};

  constructor(at: HoldAt) {
    this.at = at;
    this.reached = new Promise((resolve) => (this.arrive = resolve));
    this.released = new Promise((resolve) => (this.release = resolve));
  }

  /** Stops here if this is the step held. */
  async pass(at: HoldAt) {
    if (this.at !== at) return;
    this.arrive();
    await this.released;
  }
}

async function listen(server: Server, port: number) {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function stop(server: Server) {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
}

for (const engine of enginesFromEnv()) {
  describe(`a pop-up's address is waited for, not read once (${engine})`, () => {
    test('each redirect hop, then the home page end, held in turn: waitForUrl returns the module address', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
      let page: BrowserPage | undefined;
      let hold = new Hold(-1);
      const portal = `http://localhost:${await freePort()}`;
      const module = `http://127.0.0.1:${await freePort()}`;
      const portalServer = createServer((_req, res) => {
        // As the launcher does (web/src/pages/dashboard/openModule.ts).
        res.writeHead(200, HEADERS).end(
          `<!doctype html><title>Portal</title><button type="button" onclick="const w = window.open('${module}/hop/0', '_blank'); if (w) w.opener = null;">Open</button>`,
        );
      });
      const moduleServer = createServer(async (req, res) => {
        const current = hold;
        const match = /^\/hop\/(\d+)$/.exec(req.url ?? '');
        if (match) {
          const hop = Number(match[1]);
          await current.pass(hop);
          res.writeHead(302, { location: hop + 1 < HOPS ? `/hop/${hop + 1}` : '/' }).end();
          return;
        }
        // The text first, the rest of the document when let go (so no DOMContentLoaded yet).
        res.writeHead(200, HEADERS);
        res.write(`<!doctype html><title>Module</title><p>${HOME_TEXT}</p>${' '.repeat(4096)}`);
        await current.pass('home page end');
        res.end('<p>Loaded.</p>');
      });
      try {
        assertInstalled(engine);
        await listen(portalServer, Number(new URL(portal).port));
        await listen(moduleServer, Number(new URL(module).port));
        page = await launchBrowser(engine);
        // Classic WebDriver (WebKit) waits for a window's document to finish loading before
        // any command in it, so a half-loaded page never reaches the test there.
        for (const at of engine === 'webkit' ? HOLDS.filter((step) => step !== 'home page end') : HOLDS) {
          hold = new Hold(at);
          await page.goto(`${portal}/`);
          const opener: BrowserPage = page;
          // Some drivers hand a window over only once its navigation has committed (WebKit's
          // waits for the load): a held hop is let go once the pop-up asked for it. Three
          // conditions in turn, each with its own deadline: the click (finding the button
          // and clicking it wait in the driver, with deadlines of their own), then the
          // pop-up's request, then the window handed over. A failure of the click or of the
          // hand-over is reported as itself at once, not as a hold never reached.
          let clicked = () => {};
          const click = new Promise<void>((resolve) => (clicked = resolve));
          const opening = opener.waitForPopup(async () => {
            await opener.click('Open');
            clicked();
          });
          const failed = opening.then(() => new Promise<never>(() => {}));
          failed.catch(() => {});
          await Promise.race([click, failed]);
          // From the click on: a new window (a new web process, in WebKit) starting a load.
          await withTimeout(Promise.race([hold.reached, failed]), NAVIGATION_TIMEOUT_MS, `after the click, the pop-up to reach ${String(at)}`);
          if (at !== 'home page end') hold.release();
          const popup: BrowserPage = await opening;
          try {
            // Held at the home page's end, the text is shown while the document still loads.
            // Let go at a hop, the text follows the rest of the redirects and a page load.
            await popup.waitForText(HOME_TEXT, NAVIGATION_TIMEOUT_MS);
            const address: URL = await popup.waitForUrl(`${module}/`);
            assert.equal(address.origin, module, `held at ${String(at)}: the module's origin, not "null"`);
          } finally {
            hold.release();
            await popup.close();
          }
        }
      } finally {
        await cleanUp(engine, [
          ['letting the held step go', () => hold.release()],
          ['closing the browser', () => page?.close()],
          ['stopping the module', () => stop(moduleServer)],
          ['stopping the portal', () => stop(portalServer)],
        ]);
      }
    });
  });
}
