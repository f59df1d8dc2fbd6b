// The web app's HTML is never kept by the browser: `Cache-Control: no-store` on every answer
// that is the document (a page, /index.html, the "Page not found" page). With `no-cache`,
// Chromium kept the document in its back/forward cache and, after the person signed out
// (the site's cookies changed) and the tab moved on, Back restored it whole: whatever the
// page showed (new recovery codes, an API client's secret, the authenticator's key) and
// held in memory. A `no-store` document is not restored then (src/http/static.ts,
// DOCUMENT_CACHE). The hashed assets it loads stay cacheable: they hold nobody's data.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WEB_APP_ROUTES } from '../../src/http/static.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawRequest } from '../helpers/spellings.ts';

const NAVIGATION = { 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const TOKEN = 'Ab3_-'.repeat(8) + 'Xy9';

describe('the web app document is never stored', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('every answer that is the app: no-store; its hashed assets: cached', async () => {
    const pages = [...WEB_APP_ROUTES.map((route) => route.replace(':token', TOKEN)), '/index.html'].flatMap((path) => ['GET', 'HEAD'].map((method) => [method, path]));
    // A mistyped address gets the app's "Page not found" (to a GET page load only).
    const notFound = ['/no-such-page', `/settings/${TOKEN}/x`].map((path) => ['GET', path]);
    const wrong: string[] = [];
    for (const [method, path] of [...pages, ...notFound] as Array<[string, string]>) {
      for (const headers of [NAVIGATION, { accept: 'text/html' }] as Array<Record<string, string>>) {
        const answer = await rawRequest(server.baseUrl, method, path, headers);
        if (!/^text\/html/.test(String(answer.headers['content-type']))) wrong.push(`${method} ${path}: not the app (${answer.status})`);
        else if (answer.headers['cache-control'] !== 'no-store') wrong.push(`${method} ${path} ${answer.status}: ${answer.headers['cache-control']}`);
      }
    }
    assert.deepEqual(wrong, []);
    const page = await rawRequest(server.baseUrl, 'GET', '/', NAVIGATION);
    const assets = [...String(page.body).matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(assets.length >= 2, `the page loads its assets: ${assets.join(', ')}`);
    for (const asset of assets) {
      const answer = await rawRequest(server.baseUrl, 'GET', asset);
      assert.equal(answer.status, 200, asset);
      assert.equal(answer.headers['cache-control'], 'public, max-age=31536000, immutable', asset);
    }
  });
});
