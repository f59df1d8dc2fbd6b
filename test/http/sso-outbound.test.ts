// A company Master types the issuer URL of their OpenID Connect provider, and Gatehouse
// connects to it: to an address the Master chose. On a portal that is not on localhost
// that may only be the public Internet (and the networks the operator allows), or any
// tenant's admin could make Gatehouse a client of the services on its own machine and
// network. Every spelling of a local address is tried, literal and by name, and a
// listener on every local address counts the connections that reach it: none may.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, operatorAgent } from '../helpers/company-admin.ts';
import { startTestServer } from '../helpers/server.ts';

/** A TCP listener that counts the connections reaching it (and drops them). */
async function countingListener(host: string) {
  let connections = 0;
  const listener = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  // On '::', dual stack: every local address, IPv4 and IPv6, on one port.
  await new Promise<void>((resolve) => listener.listen({ host, port: 0, ipv6Only: false }, resolve));
  return {
    port: (listener.address() as { port: number }).port,
    connections: () => connections,
    close: () => new Promise((resolve) => listener.close(resolve)),
  };
}

/** A portal whose private networks are `networks`, and a company whose Root Master adds providers. */
async function portalAllowing(networks: string, companyName: string) {
  const server = await startTestServer({ env: { GATEHOUSE_SSO_PRIVATE_NETWORKS: networks } });
  const company = await companyWithRootMaster(server, await operatorAgent(server), companyName, `dana@${companyName.toLowerCase().replace(/\W+/g, '-')}.test`);
  const addProvider = (issuer: string) =>
    company.root.agent.post('/api/company/sso/providers', {
      kind: 'oidc', name: 'Inside Job', issuer, clientId: 'x', clientSecret: 'y', usernameAttribute: 'preferred_username', trustProviderMfa: false,
    });
  return { server, company, addProvider };
}

describe("the issuer URL of a company's OpenID Connect provider reaches no private network", () => {
  let portal: Awaited<ReturnType<typeof portalAllowing>>;
  let listener: Awaited<ReturnType<typeof countingListener>>;
  let port: number;

  before(async () => {
    // What a production portal has: no private network allowed (the default once the public URL is not localhost).
    portal = await portalAllowing('none', 'Outbound Co');
    listener = await countingListener('::');
    port = listener.port;
  });
  after(async () => {
    await listener.close();
    await portal.server.close();
  });

  test('this machine, by every spelling of its addresses and by name: refused before any connection', async () => {
    const issuers = [
      `https://127.0.0.1:${port}`,
      `https://127.0.0.2:${port}/realms/x`,
      `https://2130706433:${port}`, // 127.0.0.1 as one number
      `https://0x7f.1:${port}`, // and in hex, shortened
      `https://0.0.0.0:${port}`,
      `https://[::1]:${port}`,
      `https://[::ffff:127.0.0.1]:${port}`,
      `https://[::ffff:7f00:2]:${port}`,
      `https://[::127.0.0.1]:${port}`, // IPv4-compatible, deprecated
      `https://[::7f00:2]:${port}`,
      `https://localhost:${port}`, // a name that resolves here
      `http://localhost:${port}`,
      `http://127.0.0.1:${port}`,
      `http://[::1]:${port}`,
    ];
    for (const issuer of issuers) {
      const answer = await portal.addProvider(issuer);
      assert.equal(answer.status, 400, issuer);
      assert.equal(answer.body.error.code, 'sso.discovery_failed', issuer);
      assert.match(answer.body.error.fields.issuer, /private or local network/, issuer);
    }
    assert.equal(listener.connections(), 0, 'nothing reached the listener');
  });

  test('private, link-local, shared and reserved networks: refused with the same answer, without waiting on them', async () => {
    for (const issuer of ['https://10.1.2.3', 'https://172.16.0.1', 'https://192.168.0.1', 'https://169.254.169.254/latest/meta-data', 'https://100.64.0.1', 'https://[fd00::1]', 'https://[fe80::1]']) {
      const answer = await portal.addProvider(issuer);
      assert.equal(answer.status, 400, issuer);
      assert.match(answer.body.error.fields.issuer, /private or local network/, issuer);
    }
    const providers = await portal.company.root.agent.get('/api/company/sso');
    assert.deepEqual(providers.body.providers, [], 'nothing was saved');
  });
});

// The next variant: a provider the portal may reach, whose discovery document names an
// endpoint it may not. Each connection is checked, not only the issuer's: the code's
// redemption at a token endpoint on this machine's IPv6 loopback never connects.
describe("the endpoints a provider's discovery document names are held to the same networks", () => {
  let portal: Awaited<ReturnType<typeof portalAllowing>>;
  let provider: HttpServer;
  let inside: Awaited<ReturnType<typeof countingListener>>;
  let issuer: string;

  before(async () => {
    // The provider sits at 127.0.0.1, the one address the operator allows.
    portal = await portalAllowing('127.0.0.1/32', 'Discovery Co');
    inside = await countingListener('::1');
    const insideUrl = `http://[::1]:${inside.port}`;
    provider = createHttpServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(request.url === '/.well-known/openid-configuration'
        ? {
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${insideUrl}/token`,
            jwks_uri: `${insideUrl}/jwks`,
            userinfo_endpoint: `${insideUrl}/userinfo`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
          }
        : {}));
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(provider.address() as { port: number }).port}`;
  });
  after(async () => {
    await new Promise((resolve) => provider.close(resolve));
    await inside.close();
    await portal.server.close();
  });

  test('a code sent back is not redeemed at a token endpoint on a network the operator did not allow', async () => {
    const added = await portal.addProvider(issuer);
    const { company } = portal;
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id as string;
    const started = await company.root.agent.post(`/api/company/sso/providers/${providerId}/test`);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const state = new URL(started.body.redirectTo).searchParams.get('state') as string;
    const back = await company.root.agent.get(`/sso/${company.companyId}/oidc/callback?code=a-code&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(issuer)}`);
    assert.equal(back.status, 303);
    const result = await company.root.agent.get(`/api/company/sso/providers/${providerId}/test/${started.body.testId}`);
    assert.equal(result.body.status, 'failed', JSON.stringify(result.body));
    assert.equal(inside.connections(), 0, 'the token endpoint on ::1 was never connected to');
  });
});
