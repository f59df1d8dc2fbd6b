// The policy of the form_post page (src/modules/oidc/form-post-page.ts), as a browser would
// enforce it: the page's own script runs (its hash is allowed, no other script is), its form
// may post to the module, and nothing else loosens. Only the provider's page for the
// validated redirect URI gets it: an error page shown instead keeps Gatehouse's page policy.
// Whether browsers then post is test/e2e/form-post.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { PAGE_CSP } from '../../src/modules/oidc/pages.ts';
import { client, followRedirects, rootWithGrantedModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let root: Person;
let module: Awaited<ReturnType<typeof rootWithGrantedModule>>['module'];

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ root, module } = await rootWithGrantedModule(server));
});
after(() => server.close());

/** The policy's directives by name. */
function directives(policy: string | null): Map<string, string[]> {
  return new Map((policy ?? '').split(';').map((part) => part.trim().split(/\s+/)).filter(([name]) => name).map(([name, ...values]) => [name as string, values]));
}

/** An authorization asking for form_post: in the query, or pushed first (PAR), where the provider reads it from the pushed request. */
async function formPostAuthorization(extra: Record<string, string>, pushed: boolean): Promise<URL> {
  const start = await startAuthorization(module.config, { response_mode: 'form_post', ...extra });
  if (!pushed) return start.url;
  return client.buildAuthorizationUrlWithPAR(module.config, Object.fromEntries(start.url.searchParams));
}

test('the self-posting page may run its own script and post out, and nothing more', async () => {
  for (const [extra, pushed] of [[{}, false], [{ prompt: 'none', max_age: '0' }, false], [{}, true]] as [Record<string, string>, boolean][]) {
    const { final } = await followRedirects(root.agent, await formPostAuthorization(extra, pushed));
    assert.ok(final, 'the answer is a page');
    const page = String(final.body);
    assert.match(page, /<form method="post" action="http:\/\/127\.0\.0\.1:4999\/callback">/);
    const policy = directives(final.headers.get('content-security-policy'));
    const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => `'sha256-${createHash('sha256').update(match[1] as string).digest('base64')}'`);
    assert.equal(scripts.length, 1);
    assert.deepEqual(policy.get('script-src'), scripts, 'its one inline script, by hash, and no other');
    assert.deepEqual(policy.get('default-src'), ["'none'"]);
    assert.deepEqual(policy.get('form-action'), ['*'], 'the post, and the redirects after it, may leave Gatehouse');
    assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
    assert.equal(final.headers.get('cache-control'), 'no-store', 'a code is never cached');
  }
});

test('an unregistered redirect URI asking for form_post gets the error page and its policy, no form', async () => {
  const start = await startAuthorization(module.config, { response_mode: 'form_post', redirect_uri: 'https://attacker.example/callback' });
  const { final, callback } = await followRedirects(root.agent, start.url);
  assert.equal(callback, undefined);
  assert.ok(final);
  assert.equal(final.status, 400);
  assert.doesNotMatch(String(final.body), /<form|<script/);
  assert.equal(final.headers.get('content-security-policy'), PAGE_CSP);
});
