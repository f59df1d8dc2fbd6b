// Demo Module: a small, separate web app that signs people in with Gatehouse, the way any
// module would. Plain node:http and openid-client v6; authorization code flow with PKCE
// (S256), state and nonce; RP-initiated logout; back-channel logout (backchannel-logout.ts),
// so a Log Out anywhere in Gatehouse ends the demo's session too. Everything lives in
// memory: it is a demo.
//
//   DEMO_CLIENT_ID=gh_... DEMO_CLIENT_SECRET=... npx node examples/demo-module/server.ts
//
// or in-process: `await startDemoModule({ issuer, clientId, clientSecret })`.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import * as client from 'openid-client';
import { logoutTokenChecker, type LogoutTokenChecker } from './backchannel-logout.ts';

export interface DemoModuleOptions {
  /** Gatehouse's issuer, e.g. http://localhost:3000/oidc (discovery is read from it). */
  issuer: string | URL;
  clientId: string;
  /** The module's client secret; leave it out for a public client. */
  clientSecret?: string | undefined;
  /** Port to listen on. Default 3001; 0 picks a free port. */
  port?: number | undefined;
  /** Address to listen on. Default 127.0.0.1 (this machine only). */
  host?: string | undefined;
  /** Origin the browser reaches the demo at. Default http://localhost:<port>. */
  publicUrl?: string | URL | undefined;
  /** Where problems are reported. Default: standard error. */
  log?: ((line: string) => void) | undefined;
  /**
   * Another certificate authority (PEM) to trust, besides the usual ones, for the https
   * calls to Gatehouse: e.g. a test's self-signed certificate. Default: none.
   */
  ca?: string | Buffer | undefined;
}

export interface DemoModule {
  /** The demo's public origin, e.g. http://localhost:3001 */
  url: string;
  close(): Promise<void>;
}

const DEFAULT_PORT = 3001;
const LOGIN_TTL_MS = 10 * 60_000;
// As long as the ID token it was made from (Gatehouse issues them for an hour).
const SESSION_TTL_MS = 60 * 60_000;
const MAX_ENTRIES = 10_000;
const SCOPE = 'openid profile email company';
const TIME_CLAIMS = new Set(['iat', 'exp', 'auth_time', 'nbf']);

interface PendingLogin {
  verifier: string;
  state: string;
  nonce: string;
  expiresAt: number;
}

interface Session {
  claims: Record<string, unknown>;
  idToken: string;
  expiresAt: number;
}

/** The most a back-channel logout request's body may be (a logout token is a few hundred bytes). */
const MAX_LOGOUT_BODY = 16 * 1024;

/** Discovery failed: Gatehouse is down, or the issuer is wrong. */
class GatehouseUnreachable extends Error {
  override name = 'GatehouseUnreachable';
}

/**
 * fetch for openid-client's calls to Gatehouse over https that also trusts `ca` (Node's
 * built-in fetch takes no certificate options). Plain http goes to the built-in fetch.
 */
function fetchTrusting(ca: string | Buffer): client.CustomFetch {
  const agent = new HttpsAgent({ ca: [...rootCertificates, ca.toString()], keepAlive: false });
  return async (url, { method, headers, body, signal }) => {
    const target = new URL(url);
    if (target.protocol !== 'https:') {
      // A Uint8Array body is a valid fetch body; the DOM typings that SAML's XML libraries bring in do not say so.
      return fetch(url, { method, headers, body: (body ?? null) as BodyInit | null, redirect: 'manual', ...(signal ? { signal } : {}) });
    }
    if (body instanceof ReadableStream) throw new TypeError('streamed request bodies are not supported');
    const payload =
      body === undefined || body === null
        ? undefined
        : typeof body === 'string' || body instanceof URLSearchParams
          ? String(body)
          : Buffer.from(body as ArrayBuffer);
    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpsRequest(target, { method, headers, agent, ...(signal ? { signal } : {}) }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const status = incoming.statusCode ?? 502;
          const answer = new Headers();
          const raw = incoming.rawHeaders;
          for (let i = 0; i + 1 < raw.length; i += 2) answer.append(raw[i] as string, raw[i + 1] as string);
          const empty = status === 204 || status === 205 || status === 304;
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status, statusText: incoming.statusMessage ?? '', headers: answer }));
        });
      });
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function randomId(): string {
  return randomBytes(32).toString('base64url');
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** A map whose entries expire; the oldest go first when it is full. */
class ExpiringMap<T extends { expiresAt: number }> {
  readonly #entries = new Map<string, T>();

  set(id: string, value: T): void {
    this.sweep();
    while (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(id, value);
  }

  get(id: string | undefined): T | undefined {
    if (!id) return undefined;
    const value = this.#entries.get(id);
    if (value && value.expiresAt <= Date.now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return value;
  }

  /** Single use: returns the entry and forgets it. */
  take(id: string | undefined): T | undefined {
    const value = this.get(id);
    if (id) this.#entries.delete(id);
    return value;
  }

  delete(id: string | undefined): void {
    if (id) this.#entries.delete(id);
  }

  /** Forgets every entry `matches` picks; how many there were. */
  deleteWhere(matches: (value: T) => boolean): number {
    let deleted = 0;
    for (const [id, value] of this.#entries) {
      if (matches(value)) {
        this.#entries.delete(id);
        deleted += 1;
      }
    }
    return deleted;
  }

  sweep(): void {
    const now = Date.now();
    for (const [id, value] of this.#entries) if (value.expiresAt <= now) this.#entries.delete(id);
  }
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Demo Module</title>
<style>
body{margin:0;background:#f4f6f8;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933}
main{max-width:720px;margin:8vh auto;background:#fff;border-radius:10px;padding:32px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.brand{font-weight:700;color:#6741d9;margin-bottom:16px;font-size:14px;letter-spacing:.06em;text-transform:uppercase}
h1{font-size:24px;margin:0 0 12px}p{line-height:1.55}
.button,button{display:inline-block;font:inherit;font-weight:600;padding:10px 18px;border-radius:6px;border:0;background:#228be6;color:#fff;cursor:pointer;text-decoration:none}
button.secondary{background:#e9ecef;color:#1f2933}
.note{padding:10px 14px;border-radius:6px;margin:16px 0}
.yes{background:#ebfbee;color:#2b8a3e}.no{background:#fff4e6;color:#d9480f}
table{border-collapse:collapse;width:100%;margin:16px 0 24px;font-size:14px}
th,td{text-align:left;vertical-align:top;padding:7px 10px;border-bottom:1px solid #e9ecef}
th{width:28%;font-weight:600;color:#495057}td{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
</style></head>
<body><main><div class="brand">Demo Module</div>${body}</main></body></html>`;
}

function signedOutPage(): string {
  return page(
    'Welcome',
    `<h1>Demo Module</h1>
<p>A sample application that signs people in with Gatehouse: OpenID Connect, authorization code flow with PKCE.</p>
<p><a class="button" href="/login">Log In with Gatehouse</a></p>`,
  );
}

function claimValue(name: string, value: unknown): string {
  if (TIME_CLAIMS.has(name) && typeof value === 'number') return `${value} (${new Date(value * 1000).toISOString()})`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function signedInPage(claims: Record<string, unknown>): string {
  const company = claims.company as { name?: unknown } | undefined;
  const username = String(claims.preferred_username ?? claims.sub ?? 'unknown');
  const companyName = String(company?.name ?? 'unknown company');
  const amr = Array.isArray(claims.amr) ? claims.amr.map(String) : [];
  // "otp" for an authenticator-app code, "mfa" for a recovery code: both are a second factor.
  const secondFactor = amr.find((method) => method === 'otp' || method === 'mfa');
  const twoFactor = secondFactor
    ? `<p class="note yes">Two-factor authentication: yes. <code>amr</code> includes "${secondFactor}" (${escapeHtml(amr.join(', '))}).</p>`
    : `<p class="note no">Two-factor authentication: no. <code>amr</code> has neither "otp" nor "mfa" (${escapeHtml(amr.join(', ') || 'none')}).</p>`;
  const rows = Object.entries(claims)
    .map(([name, value]) => `<tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(claimValue(name, value))}</td></tr>`)
    .join('\n');
  return page(
    'Signed in',
    `<h1>Signed in as ${escapeHtml(username)} of ${escapeHtml(companyName)}</h1>
${twoFactor}
<p>The claims of the ID token Gatehouse issued:</p>
<table><thead><tr><th scope="col">Claim</th><th scope="col">Value</th></tr></thead><tbody>
${rows}
</tbody></table>
<form method="post" action="/logout"><button type="submit">Log Out</button></form>`,
  );
}

function problemPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a class="button" href="/">Back to Demo Module</a></p>`);
}

export async function startDemoModule(options: DemoModuleOptions): Promise<DemoModule> {
  const issuer = new URL(options.issuer);
  const port = options.port ?? DEFAULT_PORT;
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => console.error(`[demo-module] ${line}`));
  if (options.publicUrl !== undefined) {
    const given = new URL(options.publicUrl);
    if (given.pathname !== '/' || given.search || given.hash) throw new Error('publicUrl must be an origin, without path, query or fragment');
  }

  const secure = (origin: string) => origin.startsWith('https:');
  // Cookies on localhost are shared by every port: these names stay clear of Gatehouse's.
  let origin = '';
  let cookiePrefix = '';
  const loginCookie = () => `${cookiePrefix}demo_login`;
  const sessionCookie = () => `${cookiePrefix}demo_session`;
  const cookie = (name: string, value: string, maxAgeSeconds: number) =>
    `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure(origin) ? '; Secure' : ''}`;

  const pending = new ExpiringMap<PendingLogin>();
  const sessions = new ExpiringMap<Session>();

  // Discovery on first use (and again after a failure), so the demo may start before Gatehouse.
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    discovered ??= client
      .discovery(
        issuer,
        options.clientId,
        options.clientSecret ? { client_secret: options.clientSecret } : undefined,
        options.clientSecret ? client.ClientSecretBasic(options.clientSecret) : client.None(),
        // Plain http is for a Gatehouse on localhost (the embedded default) only.
        issuer.protocol === 'http:'
          ? { execute: [client.allowInsecureRequests] }
          : options.ca !== undefined
            ? { [client.customFetch]: fetchTrusting(options.ca) }
            : undefined,
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw new GatehouseUnreachable(`discovery at ${issuer.href} failed`, { cause: error });
      });
    return discovered;
  };

  const csp = () =>
    [
      "default-src 'none'",
      "style-src 'unsafe-inline'",
      // The Log Out form redirects on to Gatehouse; form-action covers that redirect.
      `form-action 'self' ${issuer.origin}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; ');

  function send(res: ServerResponse, status: number, html: string, cookies: string[] = []) {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': csp(),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      // No referrer leaves for another site; a form posted to this site keeps its Origin
      // header (under no-referrer a browser sends "Origin: null", and Log Out, which checks
      // it, would refuse every real browser).
      'referrer-policy': 'same-origin',
      'cross-origin-opener-policy': 'same-origin',
      ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}),
    });
    res.end(res.req.method === 'HEAD' ? undefined : html);
  }

  function redirect(res: ServerResponse, location: string, cookies: string[] = []) {
    res.writeHead(303, {
      location,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}),
    });
    res.end();
  }

  async function login(res: ServerResponse) {
    const config = await configuration();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const id = randomId();
    pending.set(id, { verifier, state, nonce, expiresAt: Date.now() + LOGIN_TTL_MS });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `${origin}/callback`,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    redirect(res, url.href, [cookie(loginCookie(), id, LOGIN_TTL_MS / 1000)]);
  }

  async function callback(req: IncomingMessage, res: ServerResponse, search: string) {
    const clearLogin = cookie(loginCookie(), '', 0);
    const started = pending.take(readCookie(req, loginCookie()));
    if (!started) {
      return send(res, 400, problemPage('Sign-in expired', 'This sign-in expired or was started in another browser. Log in again.'), [clearLogin]);
    }
    const config = await configuration();
    // The redirect URI as registered, from our public origin, never from the Host header.
    const current = new URL('/callback', origin);
    current.search = search;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: started.verifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      const detail = error instanceof client.AuthorizationResponseError ? (error.error_description ?? error.error) : error instanceof Error ? error.message : String(error);
      log(`sign-in failed: ${detail}`);
      return send(res, 400, problemPage('Sign-in failed', `Gatehouse did not sign you in: ${detail}`), [clearLogin]);
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) {
      return send(res, 502, problemPage('Sign-in failed', 'Gatehouse returned no ID token.'), [clearLogin]);
    }
    // A new session id at every sign-in (no fixation); the old one, if any, is dropped.
    sessions.delete(readCookie(req, sessionCookie()));
    const sid = randomId();
    sessions.set(sid, { claims: { ...claims }, idToken: tokens.id_token, expiresAt: Date.now() + SESSION_TTL_MS });
    redirect(res, '/', [clearLogin, cookie(sessionCookie(), sid, SESSION_TTL_MS / 1000)]);
  }

  function fromOwnPage(req: IncomingMessage): boolean {
    const sent = req.headers.origin;
    if (sent !== undefined && sent !== 'null') return sent === origin;
    return req.headers['sec-fetch-site'] === 'same-origin';
  }

  async function logout(req: IncomingMessage, res: ServerResponse) {
    // A cross-site form must not log people out: the browser's Origin must be ours, or,
    // where a browser sends none or "null", its Fetch Metadata must say same-origin.
    if (!fromOwnPage(req)) {
      return send(res, 403, problemPage('Not allowed', 'Log out from the Demo Module page itself.'));
    }
    const sid = readCookie(req, sessionCookie());
    const session = sessions.get(sid);
    sessions.delete(sid);
    const cleared = [cookie(sessionCookie(), '', 0)];
    if (!session) return redirect(res, '/', cleared);
    // RP-initiated logout: Gatehouse ends its session too, then sends the browser back here.
    const endSession = client.buildEndSessionUrl(await configuration(), {
      id_token_hint: session.idToken,
      post_logout_redirect_uri: `${origin}/`,
    });
    redirect(res, endSession.href, cleared);
  }

  // The logout token checker, made from discovery on first use (the issuer and its keys).
  let logoutTokens: Promise<LogoutTokenChecker> | undefined;
  const checker = () =>
    (logoutTokens ??= configuration().then((config) => {
      const { issuer: issuerId, jwks_uri: jwksUri } = config.serverMetadata();
      if (!jwksUri) throw new Error('Gatehouse names no jwks_uri');
      const trusting = issuer.protocol === 'https:' && options.ca !== undefined ? fetchTrusting(options.ca) : undefined;
      return logoutTokenChecker({ issuer: issuerId, clientId: options.clientId, jwksUri, ...(trusting ? { fetch: (url, init) => trusting(url, { ...init, body: undefined } as unknown as Parameters<typeof trusting>[1]) } : {}) });
    }));

  /**
   * Gatehouse's back-channel logout (a server-to-server POST, form-encoded `logout_token`):
   * every session of the sign-in it names ends. 200 once done; 400 for anything that is not
   * a valid logout token (Gatehouse retries what it could not deliver, not what was refused).
   */
  async function backchannelLogout(req: IncomingMessage, res: ServerResponse) {
    const answer = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(body);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_LOGOUT_BODY) return answer(413, '{"error":"invalid_request"}');
      chunks.push(chunk);
    }
    const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('logout_token');
    if (!token) return answer(400, '{"error":"invalid_request","error_description":"no logout_token"}');
    let ended: { sid: string | undefined; sub: string | undefined };
    try {
      ended = await (await checker()).check(token);
    } catch (error) {
      log(`back-channel logout refused: ${error instanceof Error ? error.message : String(error)}`);
      return answer(400, '{"error":"invalid_request"}');
    }
    // By the provider session when the token names one (this sign-in only), else every sign-in of the user.
    const count = sessions.deleteWhere((session) => (ended.sid ? session.claims.sid === ended.sid : session.claims.sub === ended.sub));
    log(`back-channel logout: ${count} session(s) ended`);
    return answer(200, '{}');
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    let url: URL;
    try {
      url = new URL(`${origin}${req.url ?? '/'}`);
    } catch {
      return send(res, 400, problemPage('Bad request', 'That address is not valid.'));
    }
    const read = req.method === 'GET' || req.method === 'HEAD';
    const route = `${read ? 'GET' : req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /': {
        const session = sessions.get(readCookie(req, sessionCookie()));
        return send(res, 200, session ? signedInPage(session.claims) : signedOutPage());
      }
      case 'GET /login':
        return login(res);
      case 'GET /callback':
        return callback(req, res, url.search);
      case 'POST /logout':
        return logout(req, res);
      case 'POST /backchannel-logout':
        return backchannelLogout(req, res);
      default:
        if (['/', '/login', '/callback', '/logout', '/backchannel-logout'].includes(url.pathname)) {
          res.setHeader('allow', url.pathname === '/logout' || url.pathname === '/backchannel-logout' ? 'POST' : 'GET, HEAD');
          return send(res, 405, problemPage('Not allowed', 'This page does not take that kind of request.'));
        }
        return send(res, 404, problemPage('Not found', 'There is no such page in the Demo Module.'));
    }
  }

  const server = createServer((req, res) => {
    // Request bodies are read only for a back-channel logout (the Log Out form carries nothing we need).
    if (!(req.method === 'POST' && (req.url ?? '').split('?')[0] === '/backchannel-logout')) req.resume();
    handle(req, res).catch((error: unknown) => {
      const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
      log(`error on ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}${cause}`);
      if (res.headersSent) return res.destroy();
      const unreachable = error instanceof GatehouseUnreachable;
      send(
        res,
        unreachable ? 502 : 500,
        unreachable
          ? problemPage('Gatehouse is not reachable', `Could not reach Gatehouse at ${issuer.href}. Is it running?`)
          : problemPage('Something went wrong', 'The Demo Module could not handle this request.'),
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Without a public URL it depends on the port, known only now (port 0); requests are
  // handled from the next turn of the event loop on, after this.
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  origin = new URL(options.publicUrl ?? `http://localhost:${boundPort}`).origin;
  cookiePrefix = secure(origin) ? '__Host-' : '';

  const sweeper = setInterval(() => {
    pending.sweep();
    sessions.sweep();
  }, 60_000);
  sweeper.unref();

  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve, reject) => {
        clearInterval(sweeper);
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function portFrom(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('DEMO_PORT must be a port number (0 to 65535)');
  return port;
}

async function cli() {
  const env = process.env;
  const clientId = env.DEMO_CLIENT_ID;
  if (!clientId) {
    console.error(
      'Set DEMO_CLIENT_ID (and DEMO_CLIENT_SECRET) to the module registered in the Gatehouse operator console.\n' +
        'See examples/demo-module/README.md.',
    );
    process.exit(1);
  }
  const port = portFrom(env.DEMO_PORT);
  const demo = await startDemoModule({
    issuer: env.DEMO_ISSUER || 'http://localhost:3000/oidc',
    clientId,
    clientSecret: env.DEMO_CLIENT_SECRET || undefined,
    port,
    host: env.DEMO_HOST || undefined,
    publicUrl: env.DEMO_PUBLIC_URL || `http://localhost:${port}`,
  });
  console.log(`\n  Demo module is running at ${demo.url}\n`);
  const stop = () => void demo.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  cli().catch((error: unknown) => {
    console.error('Demo module could not start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
