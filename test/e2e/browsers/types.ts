// The one interface the journey is written against, whatever the engine.
import type { Role } from './dom.ts';

export type EngineName = 'chromium' | 'firefox' | 'webkit';

export const VIEWPORT = { width: 1280, height: 900 } as const;

export interface BrowserCookie {
  name: string;
  value: string;
  secure: boolean;
  httpOnly: boolean;
  path: string;
}

export interface BrowserPage {
  readonly engine: EngineName;
  /** Loads a URL and waits for the load event. */
  goto(url: string): Promise<void>;
  /** Waits until the address's path (and query) is `path`. */
  waitForPath(path: string, timeoutMs?: number): Promise<void>;
  /** Waits until the address's path and query match `pattern`, and returns the address. */
  waitForPathMatching(pattern: RegExp, timeoutMs?: number): Promise<URL>;
  /**
   * Waits until the address is `url` (origin, path and query; not the fragment) and returns
   * it. There is no one-shot read of the address: a new window reports about:blank (origin
   * "null") until it has navigated, and a driver may learn of a navigation late.
   */
  waitForUrl(url: string, timeoutMs?: number): Promise<URL>;
  /** Replaces the content of the field with this label by typing `value`. */
  fill(label: string, value: string): Promise<void>;
  /** Clicks the button, link or tab with this accessible name (exact). */
  click(name: string, role?: Role): Promise<void>;
  /** Waits until the button, link or tab with this name can be clicked (visible, enabled, still, on top). */
  waitForControl(name: string, role?: Role): Promise<void>;
  /** Clicks the innermost element whose visible text is exactly `text`. */
  clickText(text: string): Promise<void>;
  /** Clicks the label `label` until its checkbox shows checked (a checked one is left alone). */
  check(label: string): Promise<void>;
  /** The page's rendered text. */
  text(): Promise<string>;
  /** Waits until the text selected in the page (what Copy would take, spaces as one) is `wanted`. */
  waitForSelectedText(wanted: string, timeoutMs?: number): Promise<void>;
  /** Waits until the page's text contains `text` (or matches it); returns the page's text. */
  waitForText(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Waits until the page's text no longer contains `text`. */
  waitForNoText(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for the element with this CSS selector (an image: loaded) and scrolls it into the middle of the viewport. */
  scrollTo(selector: string): Promise<void>;
  /** A screenshot of the viewport as PNG, also written to `file`. */
  screenshot(file: string): Promise<Buffer>;
  /** Cookies the browser holds for the page's origin, HttpOnly ones included. */
  cookies(): Promise<BrowserCookie[]>;
  viewport(): Promise<{ width: number; height: number }>;
  /** Makes window.open return null in this document, as a pop-up blocker does (until the next load). */
  blockPopups(): Promise<void>;
  /**
   * Runs `action` (a click that opens a window, e.g. window.open) and returns the new
   * window or tab as a page of its own. Its close() closes just that window.
   */
  waitForPopup(action: () => Promise<void>, timeoutMs?: number): Promise<BrowserPage>;
  /** Ends the browser and every process started for it (a pop-up: just its window). Safe to call twice. */
  close(): Promise<void>;
}

/** What each engine provides; the shared BrowserPage is built on these. */
export interface EngineDriver {
  readonly engine: EngineName;
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  goto(url: string): Promise<void>;
  /** The address of the document the window shows now (it changes as the window navigates). */
  url(): Promise<string>;
  /** A real mouse click on the element matching `selector`. */
  click(selector: string): Promise<void>;
  /** Real keystrokes into the focused element matching `selector`, whose content is selected. */
  type(selector: string, keys: string): Promise<void>;
  /** Deletes the selected content of the focused field. */
  pressBackspace(selector: string): Promise<void>;
  screenshot(): Promise<Buffer>;
  cookies(): Promise<BrowserCookie[]>;
  /** Runs `action` and returns a driver for the window it opened (sized to VIEWPORT). */
  popup(action: () => Promise<void>, timeoutMs: number): Promise<EngineDriver>;
  close(): Promise<void>;
}
