// A module's back-channel logout endpoint on loopback: records every POST, can play dead
// for a while (answers 503), and lets a test wait for a notice without polling.
import { createServer } from 'node:http';
import type { client } from './oidc.ts';
import { jwtParts, verifiesWithJwks } from './oidc.ts';

export interface Notice {
  path: string;
  contentType: string;
  logoutToken: string;
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** Whether it was answered 200 (false: the endpoint was playing dead). */
  accepted: boolean;
}

export async function startBackchannelReceiver() {
  const received: Notice[] = [];
  const waiters: { match: (n: Notice) => boolean; resolve: (n: Notice) => void }[] = [];
  const failuresLeft = new Map<string, number>();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      const left = failuresLeft.get(path) ?? 0;
      if (left > 0) failuresLeft.set(path, left - 1);
      const logoutToken = new URLSearchParams(body).get('logout_token') ?? '';
      const parts = logoutToken ? jwtParts(logoutToken) : { header: {}, payload: {} };
      const notice: Notice = {
        path,
        contentType: request.headers['content-type'] ?? '',
        logoutToken,
        header: parts.header as Record<string, unknown>,
        payload: parts.payload,
        accepted: left === 0,
      };
      received.push(notice);
      response.writeHead(left > 0 ? 503 : 200).end();
      if (!notice.accepted) return;
      for (const waiter of [...waiters]) {
        if (waiter.match(notice)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(notice);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    /** The next `times` notices to `path` are answered 503, as by a module that is down. */
    failNext(path: string, times: number) {
      failuresLeft.set(path, times);
    },
    /** The first accepted notice matching, already received or still to come. */
    waitFor(match: (n: Notice) => boolean, what: string, timeoutMs = 30_000): Promise<Notice> {
      const already = received.find((n) => n.accepted && match(n));
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no back-channel logout for ${what}; got ${JSON.stringify(received.map((n) => [n.path, n.payload.sid]))}`)), timeoutMs);
        waiters.push({
          match,
          resolve: (n) => {
            clearTimeout(timer);
            resolve(n);
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A logout token as OpenID Connect Back-Channel Logout 1.0 §2.4 says, signed with a published key. */
export async function assertValidLogoutToken(
  assert: typeof import('node:assert/strict'),
  config: client.Configuration,
  notice: Notice,
  expected: { iss: string; aud: string; sub: string; sid: string },
) {
  assert.match(notice.contentType, /application\/x-www-form-urlencoded/);
  assert.equal(notice.header.typ, 'logout+jwt');
  assert.ok(await verifiesWithJwks(config, notice.logoutToken), 'signed with a published key');
  const { payload } = notice;
  assert.equal(payload.iss, expected.iss);
  assert.equal(payload.aud, expected.aud);
  assert.equal(payload.sub, expected.sub);
  assert.equal(payload.sid, expected.sid, 'the session the module saw in its ID token');
  assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
  assert.equal(payload.nonce, undefined, 'a logout token never carries a nonce');
  assert.ok(typeof payload.jti === 'string' && typeof payload.iat === 'number' && typeof payload.exp === 'number');
}
