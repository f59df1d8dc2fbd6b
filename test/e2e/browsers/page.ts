// The BrowserPage every engine shares: finding things the way a user names them, waiting
// for them, and acting on them through the engine's own input events.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  blockPopupsInPage,
  checkedInPage,
  locateInPage,
  MARK_ATTRIBUTE,
  nextPaintInPage,
  scrollToInPage,
  selectAllInPage,
  textInPage,
  valueInPage,
  viewportInPage,
  type LocateResult,
  type Query,
  type Role,
} from './dom.ts';
import type { BrowserCookie, BrowserPage, EngineDriver, EngineName } from './types.ts';
import { waitUntil, WAIT_TIMEOUT_MS } from './wait.ts';

export const ACTION_TIMEOUT_MS = WAIT_TIMEOUT_MS;
const BLANK_PAGE =
  'the page is blank: the web app did not start (a script failed to load? web/dist rebuilt while the server ran?)';

export class DriverPage implements BrowserPage {
  readonly engine: EngineName;
  #driver: EngineDriver;
  #marks = 0;
  #closed = false;

  constructor(driver: EngineDriver) {
    this.#driver = driver;
    this.engine = driver.engine;
  }

  async goto(url: string) {
    await this.#driver.goto(url);
  }

  async waitForPath(wanted: string, timeoutMs = ACTION_TIMEOUT_MS) {
    let last = '';
    await this.#poll(`the address to be ${wanted}`, timeoutMs, async () => {
      const current = new URL(await this.#driver.url());
      last = current.pathname + current.search;
      return last === wanted ? true : undefined;
    }, () => `it is ${last}`);
  }

  async waitForPathMatching(pattern: RegExp, timeoutMs = ACTION_TIMEOUT_MS) {
    let last = '';
    return this.#poll(`the address to match ${pattern}`, timeoutMs, async () => {
      const current = new URL(await this.#driver.url());
      last = current.pathname + current.search;
      return pattern.test(last) ? current : undefined;
    }, () => `it is ${last}`);
  }

  async waitForUrl(wanted: string, timeoutMs = ACTION_TIMEOUT_MS) {
    // A window that was just opened is on about:blank (origin "null") until it navigates,
    // and a driver may learn of a navigation after the page already shows it: the address
    // is a condition to wait for, never a value read once.
    const target = new URL(wanted);
    let last = '';
    return this.#poll(`the address to be ${target.href}`, timeoutMs, async () => {
      const current = new URL(await this.#driver.url());
      last = current.href;
      return current.origin === target.origin && current.pathname === target.pathname && current.search === target.search
        ? current
        : undefined;
    }, () => `it is ${last}`);
  }

  async fill(label: string, value: string) {
    const selector = await this.#locate({ by: 'label', label });
    await this.#driver.evaluate(selectAllInPage, selector);
    await this.#driver.pressBackspace(selector);
    if (value) await this.#driver.type(selector, value);
    // React keeps the value in state: the field shows what was typed only if the events arrived.
    let seen: string | null = null;
    await this.#poll(`the field "${label}" to hold what was typed`, ACTION_TIMEOUT_MS, async () => {
      seen = await this.#driver.evaluate(valueInPage, selector);
      return seen === value ? true : undefined;
    }, () => `it holds ${JSON.stringify(seen)}`);
  }

  async click(name: string, role?: Role) {
    await this.#driver.click(await this.#locate(role ? { by: 'role', name, role } : { by: 'role', name }));
  }

  async waitForControl(name: string, role?: Role) {
    await this.#locate(role ? { by: 'role', name, role } : { by: 'role', name });
  }

  async clickText(text: string) {
    await this.#driver.click(await this.#locate({ by: 'text', text }));
  }

  async check(label: string) {
    // Like fill: the click counts once the page shows it. A click that reached the page
    // while a dialog settled (seen in WebKit) left the box unchecked; it is clicked again.
    let seen: boolean | null = null;
    await this.#poll(`the checkbox "${label}" to be checked`, ACTION_TIMEOUT_MS, async () => {
      seen = await this.#driver.evaluate(checkedInPage, label);
      if (seen === true) return true;
      if (seen === false) await this.clickText(label);
      return undefined;
    }, () => (seen === null ? 'no such checkbox' : 'it is not checked'));
  }

  text() {
    return this.#driver.evaluate(textInPage, undefined);
  }

  async waitForSelectedText(wanted: string, timeoutMs = ACTION_TIMEOUT_MS) {
    let last = '';
    await this.#poll(`the selection ${JSON.stringify(wanted)}`, timeoutMs, async () => {
      last = await this.#driver.evaluate(() => String(window.getSelection()).replace(/\s+/g, ' ').trim(), undefined);
      return last === wanted ? true : undefined;
    }, () => `the selection is ${JSON.stringify(last)}`);
  }

  async waitForText(wanted: string | RegExp, timeoutMs = ACTION_TIMEOUT_MS) {
    let last = '';
    return this.#poll(`the text ${String(wanted)}`, timeoutMs, async () => {
      last = await this.text();
      return (typeof wanted === 'string' ? last.includes(wanted) : wanted.test(last)) ? last : undefined;
    }, () => (last.trim() ? `the page shows:\n${excerpt(last)}` : BLANK_PAGE));
  }

  async waitForNoText(unwanted: string | RegExp, timeoutMs = ACTION_TIMEOUT_MS) {
    let last = '';
    await this.#poll(`the text ${String(unwanted)} to go`, timeoutMs, async () => {
      last = await this.text();
      return (typeof unwanted === 'string' ? last.includes(unwanted) : unwanted.test(last)) ? undefined : true;
    }, () => `the page shows:\n${excerpt(last)}`);
  }

  async scrollTo(selector: string) {
    await this.#poll(`an element ${selector} (an image: loaded)`, ACTION_TIMEOUT_MS, async () =>
      (await this.#driver.evaluate(scrollToInPage, selector)) ? true : undefined,
    );
  }

  async screenshot(file: string) {
    // Some engines (WebKitGTK) capture the last painted frame: let the newest state paint.
    await this.#driver.evaluate(nextPaintInPage, undefined).catch(() => false);
    const png = await this.#capture();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, png);
    return png;
  }

  /**
   * Chromium under load now and then refuses a capture ("Unable to capture screenshot") while
   * the page is between frames, e.g. just after a navigation. The page is fine; the capture is
   * asked again after the next paint, a few times, before the refusal counts as a failure.
   */
  async #capture(attempts = 3): Promise<Buffer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#driver.screenshot();
      } catch (error) {
        if (attempt >= attempts) throw error;
        await this.#driver.evaluate(nextPaintInPage, undefined).catch(() => false);
      }
    }
  }

  cookies(): Promise<BrowserCookie[]> {
    return this.#driver.cookies();
  }

  viewport() {
    return this.#driver.evaluate(viewportInPage, undefined);
  }

  async blockPopups() {
    await this.#driver.evaluate(blockPopupsInPage, undefined);
  }

  async waitForPopup(action: () => Promise<void>, timeoutMs = ACTION_TIMEOUT_MS) {
    return new DriverPage(await this.#driver.popup(action, timeoutMs));
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    await this.#driver.close();
  }

  async #locate(query: Query): Promise<string> {
    const token = `m${++this.#marks}`;
    let last: LocateResult = { ok: false, reason: 'not looked yet' };
    await this.#poll(describe(query), ACTION_TIMEOUT_MS, async () => {
      last = await this.#driver.evaluate(locateInPage, { query, token, mark: MARK_ATTRIBUTE });
      return last.ok ? true : undefined;
    }, () => last.reason ?? '');
    return last.selector as string;
  }

  /**
   * waitUntil (wait.ts) for this page: errors in the page count as "not yet" (a navigation
   * can destroy the context mid-script), and a failure names the engine and the address.
   */
  #poll<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>, why: () => string = () => ''): Promise<T> {
    return waitUntil(what, attempt, { timeoutMs, why, where: () => this.#driver.url(), prefix: `[${this.engine}]` });
  }
}

function describe(query: Query): string {
  if (query.by === 'label') return `the field labelled "${query.label}"`;
  if (query.by === 'role') return `the ${query.role ?? 'control'} named "${query.name}"`;
  return `the text "${query.text}"`;
}

function excerpt(text: string): string {
  const flat = text.replace(/\n{2,}/g, '\n').trim();
  return flat.length > 1200 ? `${flat.slice(0, 1200)}…` : flat;
}
