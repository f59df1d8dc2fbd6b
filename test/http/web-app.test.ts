// The web app is served for its own routes, to page navigations only; every other path
// is a 404 in the API's error shape (a monitor or an OAuth client never mistakes the app's
// HTML for success). The Content-Security-Policy is the one docs/API.md states.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { MACHINE_PATHS, WEB_APP_ROUTES } from '../../src/http/static.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawRequest, type RawAnswer } from '../helpers/spellings.ts';

const NAVIGATION = { 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const TOKEN = 'Ab3_-'.repeat(8) + 'Xy9';

function assertNotFound(answer: RawAnswer, context: string) {
  assert.equal(answer.status, 404, `${context}: ${answer.status}`);
  assert.match(String(answer.headers['content-type']), /^application\/json/, context);
  assert.deepEqual(answer.body, { error: { code: 'request.not_found', message: 'Not found.' } }, context);
  assert.equal(answer.headers['cache-control'], 'no-store', context);
}

/**
 * Unknown paths: always 404. A browser's page load of a path people type gets the app's
 * own "Page not found" (still 404); programs, and paths only programs use, get JSON.
 */
function assertUnknownPath(answer: RawAnswer, path: string, headers: Record<string, string>) {
  const browserPage = headers['sec-fetch-dest'] === 'document' && !MACHINE_PATHS.test(path);
  if (!browserPage) return assertNotFound(answer, `${path} ${JSON.stringify(headers)}`);
  assert.equal(answer.status, 404, path);
  assert.match(String(answer.headers['content-type']), /^text\/html/, path);
  assert.match(String(answer.body), /<div id="root">/, path);
}

const concrete = (route: string) => route.replace(':token', TOKEN);

describe('the web app for its routes, 404 elsewhere', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('the server serves exactly the routes web/src/App.tsx declares', () => {
    const app = readFileSync(new URL('../../web/src/App.tsx', import.meta.url), 'utf8');
    const declared = [...app.matchAll(/<Route path="([^"]+)"/g)].map((m) => m[1]).filter((p) => p !== '*');
    assert.deepEqual([...declared].sort(), [...WEB_APP_ROUTES].sort());
  });

  test('each client route answers a page navigation with the app', async () => {
    for (const route of WEB_APP_ROUTES) {
      for (const headers of [NAVIGATION, { accept: 'text/html' }, {}] as Array<Record<string, string>>) {
        const answer = await rawRequest(server.baseUrl, 'GET', concrete(route), headers);
        assert.equal(answer.status, 200, `${route} ${JSON.stringify(headers)}`);
        assert.match(String(answer.headers['content-type']), /^text\/html/);
        assert.equal(answer.headers['cache-control'], 'no-store');
        assert.match(String(answer.body), /<div id="root">/);
      }
    }
  });

  test('a client route asked for by a script, an image or a JSON client: 404', async () => {
    for (const route of WEB_APP_ROUTES) {
      for (const headers of [{ 'sec-fetch-dest': 'empty', accept: '*/*' }, { 'sec-fetch-dest': 'image' }, { accept: 'application/json' }] as Array<Record<string, string>>) {
        assertNotFound(await rawRequest(server.baseUrl, 'GET', concrete(route), headers), `${route} ${JSON.stringify(headers)}`);
      }
      assertNotFound(await rawRequest(server.baseUrl, 'POST', concrete(route), { ...NAVIGATION, origin: server.baseUrl }), `POST ${route}`);
    }
  });

  test('paths the app does not own: 404, and JSON for everything but a person mistyping a page', async () => {
    const named = ['/.well-known/openid-configuration', '/.well-known/security.txt', '/api/anything', '/api', '/health/ready', '/health', '/favicon.ico', '/login/', '/signup/', `/signup/${TOKEN}/x`, '/index.htm', '/assets/missing.js'];
    for (const path of named) assertUnknownPath(await rawRequest(server.baseUrl, 'GET', path, NAVIGATION), path, NAVIGATION);
    for (const path of ['/.well-known/openid-configuration', '/api/anything', '/health/ready', '/favicon.ico']) {
      assertNotFound(await rawRequest(server.baseUrl, 'GET', path, NAVIGATION), path);
    }
    const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,16}$/).filter((s) => s !== '.' && s !== '..');
    const unknown = fc.oneof(
      segment.map((s) => `/.well-known/${s}`),
      segment.map((s) => `/api/x-${s}`),
      fc.tuple(segment, segment).map(([a, b]) => `/x-${a}/${b}`),
      segment.map((s) => `/health/${s}`),
      segment.map((s) => `/signup/${TOKEN}/${s}`),
      segment.map((s) => `/operator/${s}`),
    );
    await fc.assert(
      fc.asyncProperty(unknown, fc.constantFrom<Record<string, string>>(NAVIGATION, {}, { accept: 'application/json' }), async (path, headers) => {
        assertUnknownPath(await rawRequest(server.baseUrl, 'GET', path, headers), path, headers);
      }),
      { numRuns: 60 },
    );
  });

  test('liveness, readiness and the hashed assets still answer', async () => {
    assert.deepEqual((await rawRequest(server.baseUrl, 'GET', '/healthz')).body, { status: 'ok' });
    assert.deepEqual((await rawRequest(server.baseUrl, 'GET', '/readyz')).body, { status: 'ready' });
    const page = String((await rawRequest(server.baseUrl, 'GET', '/', NAVIGATION)).body);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page)?.[1];
    assert.ok(script, 'the page loads a hashed script');
    const asset = await rawRequest(server.baseUrl, 'GET', script, { 'sec-fetch-dest': 'script' });
    assert.equal(asset.status, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  test('the Content-Security-Policy is the one docs/API.md states', async () => {
    const docs = readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');
    const stated = /<!-- csp -->\s*```\s*Content-Security-Policy: ([^\n]+)\s*```/.exec(docs)?.[1];
    assert.ok(stated, 'docs/API.md states the policy in a "<!-- csp -->" block');
    const parse = (policy: string) => new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k, v.sort()]));
    for (const path of ['/', '/api/me', '/api/nothing', '/healthz']) {
      const header = (await rawRequest(server.baseUrl, 'GET', path, NAVIGATION)).headers['content-security-policy'];
      assert.deepEqual(parse(String(header)), parse(stated), path);
    }
    // What the docs say about logos follows from the policy they state.
    assert.ok(parse(stated).get('img-src')?.includes('https:'), 'module logos on https sites load');
    assert.doesNotMatch(docs, /img-src 'self' data:`/, 'no older, narrower claim survives in the docs');
  });
});
