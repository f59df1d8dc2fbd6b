// Discovery advertises exactly what works: the code flow with PKCE, the grants modules
// are registered for, and nothing the provider would refuse (no implicit or hybrid
// response types, no implicit grant). Every advertised response type, response mode and
// grant is exercised here.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, followRedirects, redeem, rootWithGrantedModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let root: Person;
let module: Awaited<ReturnType<typeof rootWithGrantedModule>>['module'];
let metadata: Record<string, unknown>;

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ root, module } = await rootWithGrantedModule(server));
  metadata = (await server.agent().get('/oidc/.well-known/openid-configuration')).body;
});
after(() => server.close());

test('only the code flow and the grants modules use are advertised', () => {
  assert.deepEqual(metadata.response_types_supported, ['code']);
  assert.deepEqual([...(metadata.grant_types_supported as string[])].sort(), ['authorization_code', 'client_credentials', 'refresh_token']);
  assert.ok(!(metadata.grant_types_supported as string[]).includes('implicit'));
  assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
});

test('every advertised response type and response mode returns a code that redeems', async () => {
  for (const responseType of metadata.response_types_supported as string[]) {
    for (const mode of metadata.response_modes_supported as string[]) {
      const start = await startAuthorization(module.config, { response_type: responseType, response_mode: mode });
      const walk = await followRedirects(root.agent, start.url);
      let callback = walk.callback;
      if (mode === 'form_post') {
        // The provider answers with a self-posting form to the redirect URI.
        assert.equal(walk.final?.status, 200, `${mode}: ${walk.final?.status}`);
        const page = String(walk.final?.body);
        const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
        assert.ok(action?.startsWith('http://127.0.0.1:4999/callback'), `form_post posts to the module (${action})`);
        const fields = [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], m[2]] as [string, string]);
        callback = new URL(`${action}?${new URLSearchParams(fields)}`);
      } else if (mode === 'fragment') {
        assert.ok(callback?.hash, 'the code travels in the fragment');
        callback = new URL(`${callback.origin}${callback.pathname}?${callback.hash.slice(1)}`);
      }
      assert.ok(callback, `${responseType}/${mode} came back to the module`);
      const tokens = await redeem(module.config, callback, start);
      assert.ok(tokens.id_token, `${responseType}/${mode}: an ID token`);
    }
  }
});

test('every advertised grant works for a confidential module', async () => {
  for (const grant of metadata.grant_types_supported as string[]) {
    if (grant === 'authorization_code') {
      const start = await startAuthorization(module.config);
      const walk = await followRedirects(root.agent, start.url);
      assert.ok(walk.callback);
      assert.ok((await redeem(module.config, walk.callback, start)).access_token);
    } else if (grant === 'refresh_token') {
      const start = await startAuthorization(module.config, { scope: 'openid offline_access' });
      const walk = await followRedirects(root.agent, start.url);
      assert.ok(walk.callback);
      const tokens = await redeem(module.config, walk.callback, start);
      assert.ok((await client.refreshTokenGrant(module.config, tokens.refresh_token as string)).access_token);
    } else if (grant === 'client_credentials') {
      assert.ok((await client.clientCredentialsGrant(module.config)).access_token);
    } else {
      assert.fail(`advertised grant ${grant} has no test`);
    }
  }
});

test('implicit and hybrid requests are refused, as discovery says', async () => {
  for (const responseType of ['id_token', 'token', 'id_token token', 'code id_token', 'code token', 'code id_token token', 'none']) {
    const start = await startAuthorization(module.config, { response_type: responseType });
    const walk = await followRedirects(root.agent, start.url);
    const error = walk.callback
      ? (walk.callback.searchParams.get('error') ?? new URLSearchParams(walk.callback.hash.slice(1)).get('error'))
      : undefined;
    assert.equal(walk.callback?.searchParams.get('code') ?? null, null, `${responseType}: no code`);
    assert.ok(error === 'unsupported_response_type' || walk.final?.status === 400, `${responseType}: ${error ?? walk.final?.status}`);
  }
});
