// Redirect URIs: the provider matches them exactly and shows its own error page for any
// other, never redirecting there; registration accepts only https, or http on loopback.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { signedInOperator } from '../helpers/journey.ts';
import { followRedirects, grantedModule, REDIRECT_URI, rootWithGrantedModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let operator: Awaited<ReturnType<typeof signedInOperator>>;
let root: Person;
let module: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ operator, root, module } = await rootWithGrantedModule(server));
});
after(() => server.close());

const NEAR_MISSES = {
  'trailing slash': 'http://127.0.0.1:4999/callback/',
  'different case in the path': 'http://127.0.0.1:4999/Callback',
  'an extra query': 'http://127.0.0.1:4999/callback?next=https://evil.test',
  'a look-alike host': 'http://127.0.0.1.evil.test:4999/callback',
  'the userinfo trick': 'http://127.0.0.1:4999@evil.test/callback',
  'a different port': 'http://127.0.0.1:5000/callback',
  'another loopback name': 'http://localhost:4999/callback',
  'https instead of http': 'https://127.0.0.1:4999/callback',
  'a percent-encoded path': 'http://127.0.0.1:4999/%63allback',
  'a fragment': 'http://127.0.0.1:4999/callback#x',
  'a path beneath': 'http://127.0.0.1:4999/callback/../evil',
  'a scheme-relative URL': '//evil.test/callback',
};

for (const [what, uri] of Object.entries(NEAR_MISSES)) {
  test(`a redirect_uri with ${what} gets an error page at the provider, no redirect`, async () => {
    const start = await startAuthorization(module.config, { redirect_uri: uri });
    for (const browser of [root.agent, server.agent()]) {
      const answer = await browser.get(start.url.pathname + start.url.search);
      assert.equal(answer.status, 400, `${uri}: status ${answer.status} location ${answer.headers.get('location')}`);
      assert.equal(answer.headers.get('location'), null, 'never a redirect');
      assert.match(answer.headers.get('content-type') ?? '', /text\/html/);
      const page = String(answer.body);
      assert.match(page, /redirect_uri/);
      assert.ok(!page.includes('code='), 'no code on the page');
      assert.ok(!/(href|action|content)="[^"]*evil\.test/.test(page), 'no link, form or refresh to the unregistered URI');
    }
  });
}

test('the registered redirect_uri, exactly, gets the code', async () => {
  const start = await startAuthorization(module.config);
  assert.equal(start.url.searchParams.get('redirect_uri'), REDIRECT_URI);
  const walk = await followRedirects(root.agent, start.url);
  assert.ok(walk.callback);
  assert.equal(walk.callback.origin + walk.callback.pathname, REDIRECT_URI);
  assert.ok(walk.callback.searchParams.get('code'));
});

const MODULE = {
  name: 'Checked',
  description: '',
  launchUrl: 'https://app.example.com/',
  redirectUris: ['https://app.example.com/callback'],
  postLogoutRedirectUris: ['https://app.example.com/bye'],
  clientType: 'confidential',
};

const REFUSED = {
  'a javascript: URI': 'javascript:alert(document.domain)//',
  'a data: URI': 'data:text/html,<script>alert(1)</script>',
  'plain http off loopback': 'http://example.com/cb',
  'plain http on a loopback look-alike': 'http://127.0.0.1.evil.test/cb',
  'a fragment': 'https://app.example.com/cb#token',
  'an empty fragment': 'https://app.example.com/cb#',
  'credentials': 'https://user:secret@app.example.com/cb',
  'a user name alone': 'https://127.0.0.1@evil.test/cb',
  'a relative path': '/callback',
  'a custom scheme': 'myapp://callback',
  'a file: URI': 'file:///etc/passwd',
  'a wildcard host (matching is exact)': 'https://*.example.com/cb',
  'a wildcard in the middle of a host': 'https://app.*.example.com/cb',
};

for (const [what, uri] of Object.entries(REFUSED)) {
  test(`registration refuses ${what} with a field message`, async () => {
    for (const [field, body] of [
      ['redirectUris.0', { ...MODULE, redirectUris: [uri] }],
      ['postLogoutRedirectUris.1', { ...MODULE, postLogoutRedirectUris: ['https://app.example.com/bye', uri] }],
      ['backchannelLogoutUri', { ...MODULE, backchannelLogoutUri: uri }],
      ['launchUrl', { ...MODULE, launchUrl: uri }],
    ] as const) {
      const answer = await operator.agent.post('/api/operator/modules', body);
      assert.equal(answer.status, 400, `${field}=${uri}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'request.invalid');
      const message = answer.body.error.fields?.[field];
      assert.ok(typeof message === 'string' && message.length > 0, `${field} has a message: ${JSON.stringify(answer.body.error.fields)}`);
    }
  });
}

test('registration accepts https anywhere and plain http on loopback', async () => {
  const accepted = [
    'https://app.example.com/callback',
    'https://app.example.com:8443/oidc/callback?tenant=acme',
    'http://localhost:3000/callback',
    'http://127.0.0.1:8080/callback',
    'http://[::1]:8080/callback',
  ];
  const answer = await operator.agent.post('/api/operator/modules', { ...MODULE, name: 'Accepted', redirectUris: accepted });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  assert.deepEqual(answer.body.module.redirectUris, accepted, 'stored exactly as registered');

  const none = await operator.agent.post('/api/operator/modules', { ...MODULE, name: 'None', redirectUris: [] });
  assert.equal(none.status, 400);
  assert.ok(none.body.error.fields?.redirectUris);
});
