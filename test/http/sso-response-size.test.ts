// What Gatehouse reads from a company's identity provider is bounded: any company's Master
// chooses the issuer URL, so whoever runs that server chooses how much it answers. Read
// whole, a 300 MB discovery document cost the node 1.2 GiB of memory for one request, and
// a few at once would end the process for every tenant. Every outbound request goes through
// one fetch (src/shared/outbound-fetch.ts), which reads at most MAX_RESPONSE_BYTES of an
// answer, decoded: an answer that says it is longer is refused at once, one that runs on
// (chunked, or a small gzip that inflates) is cut off there and its connection closed.
// The provider here is on loopback and serves a bounded 32 MiB at most.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { MAX_RESPONSE_BYTES } from '../../src/shared/outbound-fetch.ts';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PADDING_MIB = 32;
const MIB = 1024 * 1024;

interface Served {
  /** Whether the provider got to send its whole answer. */
  finished: boolean;
}

describe("answers from a company's identity provider are read up to a limit", () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: ReturnType<typeof createServer>;
  let origin: string;
  const served = new Map<string, Served>();

  /** A discovery document whose `pad` member is `padding` long, sent the way `how` says. */
  function discovery(res: ServerResponse, tenant: string, how: string) {
    const issuer = `${origin}/${tenant}`;
    const head = `{"issuer":"${issuer}","authorization_endpoint":"${issuer}/authorize","token_endpoint":"${issuer}/token","jwks_uri":"${issuer}/jwks","response_types_supported":["code"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"],"pad":"`;
    const record: Served = { finished: false };
    served.set(tenant, record);
    res.on('finish', () => (record.finished = true));
    if (how === 'small') return void res.writeHead(200, { 'content-type': 'application/json' }).end(`${head}"}`);
    if (how === 'gzip') {
      const body = gzipSync(`${head}${' '.repeat(PADDING_MIB * MIB)}"}`);
      return void res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length }).end(body);
    }
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (how === 'declared') headers['content-length'] = head.length + PADDING_MIB * MIB + 2;
    res.writeHead(200, headers);
    res.write(head);
    // A bounded stream, one MiB at a time as the client takes it: it stops by itself.
    const chunk = 'a'.repeat(MIB);
    let sent = 0;
    const pump = () => {
      while (sent < PADDING_MIB) {
        sent += 1;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end('"}');
    };
    res.on('error', () => {});
    pump();
  }

  before(async () => {
    idp = createServer((req, res) => {
      const match = /^\/(\w+)-(\w+)\/\.well-known\/openid-configuration$/.exec(req.url ?? '');
      if (!match) return void res.writeHead(404).end();
      discovery(res, `${match[1]}-${match[2]}`, match[2]!);
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    server = await startTestServer();
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Outsized Answers Co', 'dana@outsized.test');
  });
  after(async () => {
    await server?.close();
    idp?.closeAllConnections();
    await new Promise((resolve) => idp?.close(resolve));
  });

  const add = (tenant: string) =>
    company.root.agent.post('/api/company/sso/providers', {
      kind: 'oidc', name: `Provider ${tenant}`, issuer: `${origin}/${tenant}`, clientId: 'gatehouse', clientSecret: 'secret', usernameAttribute: 'preferred_username', trustProviderMfa: false,
    });

  for (const [how, what] of [
    ['streamed', 'a discovery document that runs on (chunked, no length)'],
    ['declared', 'a discovery document whose Content-Length is over the limit'],
    ['gzip', 'a small gzip that inflates past the limit'],
  ] as const) {
    test(`${what} is refused, and no more of it is read`, async () => {
      const answer = await add(`big-${how}`);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'sso.discovery_failed');
      assert.match(answer.body.error.fields.issuer, new RegExp(`larger than the ${MAX_RESPONSE_BYTES / 1024} KiB`));
      // The gzip is small on the wire and sent whole; the others are cut off part-way.
      if (how !== 'gzip') assert.equal(served.get(`big-${how}`)?.finished, false, 'the provider was stopped before sending it all');
      assert.equal((await company.root.agent.get('/api/company/sso')).body.providers.length, 0, 'no provider was added');
    });
  }

  test('a discovery document of ordinary size is read as ever', async () => {
    const answer = await add('fine-small');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(served.get('fine-small')?.finished, true);
  });
});
