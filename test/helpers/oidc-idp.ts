// Starts test/helpers/oidc-idp-process.ts (node oidc-provider) in a separate process on a
// free port, as a company's OpenID Connect provider, and drives a browser through it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserCookies } from './cookie-jar.ts';
import { freePort } from './net.ts';
import { until } from './until.ts';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'oidc-idp-process.ts');

export interface TestOidcIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who signs in at the next visit, and how (amr, acr) the provider says they did. */
  nextUser(person: { sub: string; claims?: Record<string, unknown>; amr?: string[]; acr?: string }): Promise<void>;
  /** Follows the provider's redirects from `url` until they leave it; the address they leave to. */
  signIn(url: string): Promise<string>;
  /** Holds the next token request (a callback redeeming its code) until the returned release is called; resolves once one is held. */
  holdNextTokenRequest(): Promise<{ held: () => Promise<void>; release: () => Promise<void> }>;
  close(): Promise<void>;
}

const clientId = 'gatehouse-company';
const clientSecret = 'a-long-random-client-secret-for-the-test-provider';

/** The provider's process, listening. Its issuer names its port, so the port is chosen first. */
async function spawnProvider(redirectUri: string, port: number) {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, IDP_PORT: String(port), IDP_CLIENT_ID: clientId, IDP_CLIENT_SECRET: clientSecret, IDP_REDIRECT_URI: redirectUri },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += String(chunk)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => String(chunk).includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`the test OIDC provider exited (${code}): ${errors}`)));
  });
  return child;
}

export async function startOidcIdp(redirectUri: string): Promise<TestOidcIdp> {
  // A free port can be taken by another process before the provider listens on it (many
  // suites start servers at once): then another port, a bounded number of times.
  let port = await freePort();
  let child: Awaited<ReturnType<typeof spawnProvider>> | undefined;
  for (let attempt = 1; !child; attempt += 1) {
    try {
      child = await spawnProvider(redirectUri, port);
    } catch (error) {
      if (attempt >= 5 || !String((error as Error).message).includes('EADDRINUSE')) throw error;
      port = await freePort();
    }
  }
  const issuer = `http://127.0.0.1:${port}`;
  const jar = new BrowserCookies(issuer);
  return {
    issuer,
    clientId,
    clientSecret,
    async nextUser(person) {
      // A new person at the provider: the browser's session there is forgotten.
      jar.clear();
      const response = await fetch(`${issuer}/test/next-user`, {
        method: 'POST',
        body: JSON.stringify({ claims: {}, amr: ['pwd'], ...person }),
      });
      if (response.status !== 204) throw new Error(`next-user: ${response.status}`);
    },
    async signIn(url) {
      let at = new URL(url);
      for (let hop = 0; hop < 10 && at.origin === issuer; hop += 1) {
        const response = await fetch(at, {
          redirect: 'manual',
          headers: jar.headerFor(at) ? { cookie: jar.headerFor(at) as string } : {},
        });
        jar.store(at, response.headers.getSetCookie());
        const location = response.headers.get('location');
        const body = await response.text();
        if (!location) throw new Error(`the provider stopped at ${at} (${response.status}): ${body.slice(0, 500)}`);
        at = new URL(location, at);
      }
      return at.toString();
    },
    async holdNextTokenRequest() {
      const hold = await fetch(`${issuer}/test/hold-token`, { method: 'POST' });
      if (hold.status !== 204) throw new Error(`hold-token: ${hold.status}`);
      return {
        held: () => until(async () => (await (await fetch(`${issuer}/test/token-held`)).json()) === true, 'a token request held at the provider'),
        release: async () => {
          const released = await fetch(`${issuer}/test/release-token`, { method: 'POST' });
          if (released.status !== 204) throw new Error(`release-token: ${released.status}`);
        },
      };
    },
    async close() {
      child.kill();
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    },
  };
}
