// Logins as the load generator drives them. Gatehouse's is the whole walk a module's
// user takes: the module's authorization request, identify, password, TOTP, back through
// the provider to the module's callback, and the module redeeming the code for tokens.
import { createHash, randomBytes } from 'node:crypto';
import { totpAt } from '../test/helpers/totp.ts';
import type { LoginUser, OidcFixture } from './targets/protocol.ts';

/**
 * Each TOTP code is accepted once, and at most one step ahead of the clock: a user logs
 * in at most twice per 30-second window. Hands out (user, code) pairs within that.
 */
export class TotpBudget {
  readonly #users: LoginUser[];
  readonly #lastStep = new Map<string, number>();
  #next = 0;
  constructor(users: LoginUser[]) {
    this.#users = users;
  }
  take(): { user: LoginUser; code: string } | undefined {
    const now = Math.floor(Date.now() / 30_000);
    for (let tried = 0; tried < this.#users.length; tried++) {
      const user = this.#users[this.#next++ % this.#users.length] as LoginUser;
      const key = `${user.companyName}/${user.username}`;
      const step = Math.max((this.#lastStep.get(key) ?? -Infinity) + 1, now);
      if (step > now + 1) continue;
      this.#lastStep.set(key, step);
      return { user, code: totpAt(user.totpSecret, step * 30_000) };
    }
    return undefined;
  }
}

/** A cookie jar over fetch, redirects by hand. */
class Browser {
  readonly #cookies = new Map<string, string>();
  readonly origin: string;
  constructor(origin: string) {
    this.origin = origin;
  }
  async send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(new URL(url, this.origin), {
      method,
      redirect: 'manual',
      headers: {
        origin: this.origin,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.#cookies.size ? { cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.#cookies.delete(pair.slice(0, eq));
      else this.#cookies.set(pair.slice(0, eq), value);
    }
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${new URL(url, this.origin).pathname}: ${response.status} ${text.slice(0, 200)}`);
    return { status: response.status, location: response.headers.get('location'), text };
  }
  /** Follows redirects until one leaves for `stopAt` (returned) or one is not a redirect. */
  async follow(url: string, stopAt: string): Promise<string> {
    let next = new URL(url, this.origin).toString();
    for (let hop = 0; hop < 10; hop++) {
      if (next.startsWith(stopAt)) return next;
      const answer = await this.send('GET', next);
      if (!answer.location) throw new Error(`stopped at ${next} with ${answer.status}`);
      next = new URL(answer.location, next).toString();
    }
    throw new Error('too many redirects');
  }
}

export interface LoginTokens {
  accessToken: string;
  refreshToken: string;
}

export async function gatehouseModuleLogin(baseUrl: string, oidc: OidcFixture, redirectUri: string, turn: { user: LoginUser; code: string }): Promise<LoginTokens> {
  const browser = new Browser(baseUrl);
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${oidc.issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: oidc.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid profile email company',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
  }).toString();
  const loginPage = new URL(await browser.follow(authorize.toString(), `${baseUrl}/login`));
  const returnTo = loginPage.searchParams.get('return') ?? undefined;
  await browser.send('POST', '/api/login/identify', { username: turn.user.username, companyName: turn.user.companyName, returnTo });
  await browser.send('POST', '/api/login/password', { password: turn.user.password });
  const done = JSON.parse((await browser.send('POST', '/api/login/totp', { code: turn.code })).text) as { redirectTo?: string };
  const callback = new URL(await browser.follow(done.redirectTo ?? '/', redirectUri));
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code at ${callback}`);
  const token = await fetch(oidc.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${oidc.clientId}:${oidc.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
  });
  const tokens = (await token.json()) as { access_token?: string; refresh_token?: string; error?: string };
  if (!tokens.access_token || !tokens.refresh_token) throw new Error(`token: ${token.status} ${JSON.stringify(tokens)}`);
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
}

export async function betterAuthLogin(baseUrl: string, turn: { user: LoginUser; code: string }): Promise<void> {
  const browser = new Browser(baseUrl);
  const signIn = JSON.parse((await browser.send('POST', '/api/auth/sign-in/email', { email: turn.user.username, password: turn.user.password })).text) as { twoFactorRedirect?: boolean };
  if (!signIn.twoFactorRedirect) throw new Error('better-auth did not ask for the second factor');
  await browser.send('POST', '/api/auth/two-factor/verify-totp', { code: turn.code });
}
