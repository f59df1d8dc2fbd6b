// A pop-up's address is a condition to wait for, in every engine. A window that was just
// opened shows about:blank (origin "null") until its navigation commits, and a driver can
// learn of a navigation after the page already shows it (puppeteer over BiDi did: the
// Firefox journey once read the Demo Module's origin as 'null' under load). Here the
// module's server holds one hop of its sign-in's redirect chain until the test lets it
// go, so the pop-up is handed over mid-navigation for certain, not by luck of timing; each
// hop is held in turn. waitForUrl returns the module's address however late it commits.
//
//   npx node --test test/e2e/popup-address.test.ts
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { describe, test } from 'node:test';
import { assertInstalled, enginesFromEnv, launchBrowser, type BrowserPage } from './browsers/index.ts';
import { freePort, withTimeout } from './browsers/util.ts';
import { WAIT_TIMEOUT_MS } from './browsers/wait.ts';
import { cleanUp, JOURNEY_TIMEOUT_MS } from './support.ts';

/** Redirects before the module's home page, like /login → Gatehouse → /callback → /. */
const HOPS = 3;
const HOME_TEXT = 'Signed in to the test module';
// Both sides send COOP same-origin, as Gatehouse and the Demo Module do: the pop-up is found
// as a new window, not through its opener.
const HEADERS = { 'content-type': 'text/html; charset=utf-8', 'cross-origin-opener-policy': 'same-origin' };

/** One hop the module's server holds: `reached` when the pop-up asks for it, answered after release(). */
class Hold {
  readonly hop: number;
  readonly reached: Promise<void>;
  readonly released: Promise<void>;
  arrive = () => {};
  release = () => {};

  constructor(hop: number) {
    this.hop = hop;
    this.reached = new Promise((resolve) => (this.arrive = resolve));
    this.released = new Promise((resolve) => (this.release = resolve));
  }
}

async function listen(server: Server, port: number, host: string) {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

function stop(server: Server) {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
}

for (const engine of enginesFromEnv()) {
  describe(`a pop-up's address is waited for, not read once (${engine})`, () => {
    test('each hop of a module sign-in held in turn: waitForUrl returns the module address once it commits', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
      let page: BrowserPage | undefined;
      let hold: Hold | undefined;
      const portal = `http://localhost:${await freePort()}`;
      const module = `http://127.0.0.1:${await freePort()}`;
      const portalServer = createServer((_req, res) => {
        // As the launcher does (web/src/pages/dashboard/openModule.ts).
        res.writeHead(200, HEADERS).end(
          `<!doctype html><title>Portal</title><button type="button" onclick="const w = window.open('${module}/hop/0', '_blank'); if (w) w.opener = null;">Open</button>`,
        );
      });
      const moduleServer = createServer(async (req, res) => {
        const match = /^\/hop\/(\d+)$/.exec(req.url ?? '');
        if (!match) {
          res.writeHead(200, HEADERS).end(`<!doctype html><title>Module</title><p>${HOME_TEXT}</p>`);
          return;
        }
        const hop = Number(match[1]);
        const held = hold?.hop === hop ? hold : undefined;
        if (held) {
          held.arrive();
          await held.released;
        }
        res.writeHead(302, { location: hop + 1 < HOPS ? `/hop/${hop + 1}` : '/' }).end();
      });
      try {
        assertInstalled(engine);
        await listen(portalServer, Number(new URL(portal).port), '127.0.0.1');
        await listen(moduleServer, Number(new URL(module).port), '127.0.0.1');
        page = await launchBrowser(engine);
        for (let hop = 0; hop < HOPS; hop++) {
          hold = new Hold(hop);
          await page.goto(`${portal}/`);
          const opener: BrowserPage = page;
          // Some drivers hand the window over only once its first response has come (and a
          // WebDriver click waits for it): let the hop go once the pop-up has asked for it.
          const opening = opener.waitForPopup(() => opener.click('Open'));
          opening.catch(() => {});
          await withTimeout(hold.reached, WAIT_TIMEOUT_MS, `the pop-up's request for hop ${hop}`);
          hold.release();
          const popup: BrowserPage = await opening;
          try {
            const address: URL = await popup.waitForUrl(`${module}/`);
            assert.equal(address.origin, module, `held at hop ${hop}: the module's origin, not "null"`);
            await popup.waitForText(HOME_TEXT);
          } finally {
            hold.release();
            await popup.close();
          }
        }
      } finally {
        await cleanUp(engine, [
          ['closing the browser', () => page?.close()],
          ['letting the held hop go', () => hold?.release()],
          ['stopping the module', () => stop(moduleServer)],
          ['stopping the portal', () => stop(portalServer)],
        ]);
      }
    });
  });
}
