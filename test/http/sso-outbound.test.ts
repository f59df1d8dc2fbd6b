// A company Master types the issuer URL of their OpenID Connect provider, and Gatehouse
// connects to it: to an address the Master chose. On a portal that is not on localhost
// that may only be the public Internet (and the networks the operator allows), or any
// tenant's admin could make Gatehouse a client of the services on its own machine and
// network. Every spelling of a local address is tried, literal and by name, and a
// listener on every local address counts the connections that reach it: none may.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe("the issuer URL of a company's OpenID Connect provider reaches no private network", () => {
  let server: TestServer;
  let company: SignedInCompany;
  let listener: Server;
  let port: number;
  let connections = 0;

  before(async () => {
    // What a production portal has: no private network allowed (the default once the public URL is not localhost).
    server = await startTestServer({ env: { GATEHOUSE_SSO_PRIVATE_NETWORKS: 'none' } });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Outbound Co', 'dana@outbound.test');
    // Every local address, IPv4 and IPv6, on one port.
    listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen({ host: '::', port: 0, ipv6Only: false }, resolve));
    port = (listener.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((resolve) => listener.close(resolve));
    await server.close();
  });

  const addProvider = (issuer: string) =>
    company.root.agent.post('/api/company/sso/providers', {
      kind: 'oidc', name: 'Inside Job', issuer, clientId: 'x', clientSecret: 'y', usernameAttribute: 'preferred_username', trustProviderMfa: false,
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
      `https://localhost:${port}`, // a name that resolves here
      `http://localhost:${port}`,
      `http://127.0.0.1:${port}`,
      `http://[::1]:${port}`,
    ];
    for (const issuer of issuers) {
      const answer = await addProvider(issuer);
      assert.equal(answer.status, 400, issuer);
      assert.equal(answer.body.error.code, 'sso.discovery_failed', issuer);
      assert.match(answer.body.error.fields.issuer, /private or local network/, issuer);
    }
    assert.equal(connections, 0, 'nothing reached the listener');
  });

  test('private, link-local, shared and reserved networks: refused with the same answer, without waiting on them', async () => {
    for (const issuer of ['https://10.1.2.3', 'https://172.16.0.1', 'https://192.168.0.1', 'https://169.254.169.254/latest/meta-data', 'https://100.64.0.1', 'https://[fd00::1]', 'https://[fe80::1]']) {
      const answer = await addProvider(issuer);
      assert.equal(answer.status, 400, issuer);
      assert.match(answer.body.error.fields.issuer, /private or local network/, issuer);
    }
    const providers = await company.root.agent.get('/api/company/sso');
    assert.deepEqual(providers.body.providers, [], 'nothing was saved');
  });
});
