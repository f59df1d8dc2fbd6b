// The provider's machine endpoints (token, introspection, revocation, userinfo) are taken
// straight from the server to the provider at their exact paths (src/http/provider-lane.ts),
// and through Fastify at any other spelling the provider's router reads (a trailing slash,
// a query string). A module must not be able to tell the two apart: the same status, the
// same headers (the security headers every answer carries among them) and the same body,
// for answers that succeed and answers that refuse; and the client address the provider
// judges a public client's token by (the company's IP allowlist) is walked with the same
// proxy trust either way. (Refused header lines go to Fastify from either spelling:
// test/http/header-lines.test.ts sends them to the exact paths; timings under the same
// route label: test/http/metrics.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { grantedModule, rootWithGrantedModule, signInToModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** HTTP Basic credentials, as a module's back end sends its client id and secret. */
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Headers that differ between any two answers whatever served them. */
const VOLATILE = new Set(['date', 'connection', 'keep-alive']);

interface Sent {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

describe('the provider endpoints answer alike through the lane and through Fastify', () => {
  let server: TestServer;
  let root: Person;
  let module: Awaited<ReturnType<typeof grantedModule>>;
  let accessToken: string;
  before(async () => {
    server = await startTestServer({ realClock: true });
    ({ root, module } = await rootWithGrantedModule(server));
    accessToken = (await signInToModule(module.config, root.agent)).tokens.access_token;
  });
  after(() => server.close());

  async function answer(path: string, sent: Sent) {
    const response = await fetch(`${server.baseUrl}${path}`, { method: sent.method, headers: sent.headers, ...(sent.body === undefined ? {} : { body: sent.body }) });
    const headers = Object.fromEntries([...response.headers].filter(([name]) => !VOLATILE.has(name)));
    return { status: response.status, headers, body: await response.text() };
  }

  /** The exact path (the lane) and another spelling (Fastify) answer the same. */
  async function alike(path: string, sent: () => Sent) {
    const lane = await answer(path, sent());
    for (const spelling of [`${path}/`, `${path}?via=fastify`]) {
      const routed = await answer(spelling, sent());
      assert.deepEqual(routed, lane, `${spelling} against ${path}`);
    }
    return lane;
  }

  const form = (fields: Record<string, string>, authorization = basic(module.module.clientId, module.clientSecret as string)): Sent => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams(fields).toString(),
  });

  test('introspection of a live token, of an unknown one, and with a wrong client secret', async () => {
    const live = await alike('/oidc/token/introspection', () => form({ token: accessToken }));
    assert.equal(live.status, 200);
    assert.equal(JSON.parse(live.body).active, true);
    assert.match(live.headers['x-content-type-options'] ?? '', /nosniff/, 'the security headers every answer carries');
    assert.equal(JSON.parse((await alike('/oidc/token/introspection', () => form({ token: 'not-a-token' }))).body).active, false);
    assert.equal((await alike('/oidc/token/introspection', () => form({ token: accessToken }, basic(module.module.clientId, 'wrong')))).status, 401);
  });

  test('userinfo with the token, and without one', async () => {
    const me = await alike('/oidc/me', () => ({ method: 'GET', headers: { authorization: `Bearer ${accessToken}` } }));
    assert.equal(me.status, 200);
    assert.equal(JSON.parse(me.body).preferred_username, root.username);
    assert.equal((await alike('/oidc/me', () => ({ method: 'GET', headers: {} }))).status, 401);
  });

  test('the token endpoint refusing a code that never was, and revocation of an unknown token', async () => {
    const refused = await alike('/oidc/token', () => form({ grant_type: 'authorization_code', code: 'never-issued', redirect_uri: 'http://127.0.0.1:4999/callback' }));
    assert.equal(refused.status, 400);
    assert.equal(JSON.parse(refused.body).error, 'invalid_grant');
    assert.equal((await alike('/oidc/token/revocation', () => form({ token: 'not-a-token' }))).status, 200);
  });
});
