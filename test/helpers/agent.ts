// A browser-like HTTP client: keeps cookies as a browser does (cookie-jar.ts), sends JSON
// and our Origin like the web app.
import { BrowserCookies } from './cookie-jar.ts';

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
  setCookies: string[];
}

export class Agent {
  readonly cookies: BrowserCookies;
  readonly baseUrl: string;
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
    this.cookies = new BrowserCookies(baseUrl);
  }

  /** The Cookie header a browser would send to `path` ("" when none). */
  cookieHeader(path = '/'): string {
    return this.cookies.headerFor(path) ?? '';
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> {
    const url = new URL(path, this.baseUrl);
    const cookie = this.cookies.headerFor(url);
    const init: RequestInit = {
      method,
      headers: {
        origin: new URL(this.baseUrl).origin,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
      redirect: 'manual',
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    };
    const response = await fetch(url, init);
    const setCookies = response.headers.getSetCookie();
    this.cookies.store(url, setCookies);
    const text = await response.text();
    let parsed: unknown = text;
    if (response.headers.get('content-type')?.includes('application/json')) parsed = text ? JSON.parse(text) : undefined;
    return { status: response.status, body: parsed as T, headers: response.headers, setCookies };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }

  post<T = any>(path: string, body: unknown = {}, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
}
