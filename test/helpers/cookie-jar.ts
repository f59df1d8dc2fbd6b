// The cookies a browser keeps for one site, kept as a browser keeps them (RFC 6265, by
// tough-cookie): a cookie goes back only to the paths it was set for, until it expires,
// and a prefixed name (`__Host-`) only as its rules allow. Every test client that plays a
// browser (the HTTP agent, the navigators of the peer tests) keeps its cookies here, so a
// flow that works only because a test client sends cookies a browser would keep back is
// caught: a cookie scoped to /login does not reach /oidc-interaction/… in a browser.
//
// Tests also reach into the jar by name (a session cookie copied to another browser, a
// cookie dropped on purpose): get, set, has and delete act on the site's cookies whatever
// their path; set changes a cookie where it is, or places a new one at the root path, as
// the server sets its session.
import { Cookie, CookieJar } from 'tough-cookie';

export class BrowserCookies {
  readonly #jar = new CookieJar(undefined, { allowSpecialUseDomain: true, prefixSecurity: 'strict' });
  readonly #site: URL;

  constructor(siteUrl: string) {
    this.#site = new URL('/', siteUrl);
  }

  /** Takes the Set-Cookie lines of the answer to a request for `url`, as a browser does. */
  store(url: string | URL, setCookieLines: readonly string[]) {
    for (const line of setCookieLines) this.#jar.setCookieSync(line, new URL(url, this.#site), { ignoreError: true });
  }

  /** The Cookie header a browser sends with a request for `url`, or undefined when it sends none. */
  headerFor(url: string | URL): string | undefined {
    const header = this.#jar.getCookieStringSync(new URL(url, this.#site));
    return header === '' ? undefined : header;
  }

  #all(): Cookie[] {
    return this.#jar.getCookiesSync(this.#site, { allPaths: true });
  }

  get(name: string): string | undefined {
    return this.#all().find((cookie) => cookie.key === name)?.value;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Gives cookie `name` this value where the site set it (each of its paths), or plants it at the root path. */
  set(name: string, value: string): this {
    const paths = this.#all()
      .filter((cookie) => cookie.key === name)
      .map((cookie) => cookie.path ?? '/');
    for (const path of paths.length > 0 ? paths : ['/']) this.#jar.setCookieSync(new Cookie({ key: name, value, path }), this.#site, { ignoreError: true });
    return this;
  }

  /** Drops every cookie called `name`, whatever its path. */
  delete(name: string): boolean {
    const found = this.#all().filter((cookie) => cookie.key === name);
    for (const cookie of found) this.#jar.setCookieSync(new Cookie({ key: name, value: '', path: cookie.path ?? '/', expires: new Date(0) }), this.#site, { ignoreError: true });
    return found.length > 0;
  }

  /** Forgets every cookie (a new browser profile). */
  clear() {
    this.#jar.removeAllCookiesSync();
  }

  get size(): number {
    return this.#all().length;
  }

  keys(): string[] {
    return this.#all().map((cookie) => cookie.key);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    const pairs = this.#all().map((cookie): [string, string] => [cookie.key, cookie.value]);
    return pairs[Symbol.iterator]();
  }
}
