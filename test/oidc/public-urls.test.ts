// Every URL the provider hands out comes from GATEHOUSE_PUBLIC_URL: a request with a
// forged Host, X-Forwarded-Host/Proto or Forwarded header, with or without a trusted
// proxy, sees the same discovery document and the same redirects. Discovery and the key
// set carry a Cache-Control; OAuth metadata is also where RFC 8414 puts it for the issuer
// <public URL>/oidc. No path or query string under /oidc answers a 5xx.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Agent } from '../helpers/agent.ts';
import { rootWithGrantedModule, redeem, startAuthorization, REDIRECT_URI, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request with headers fetch() will not send (Host); keeps the agent's cookies. */
function rawRequest(agent: Agent, path: string, headers: Record<string, string>, method = 'GET'): Promise<RawAnswer> {
  const base = new URL(agent.baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port: base.port,
        method,
        path,
        headers: { ...(agent.cookies.headerFor(path) ? { cookie: agent.cookieHeader(path) } : {}), ...headers },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => {
          agent.cookies.store(path, response.headers['set-cookie'] ?? []);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Forged host headers in every combination a client or a misconfigured proxy might send. */
const forgedHeaders = fc
  .record(
    {
      host: fc.domain(),
      port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      forwardedHost: fc.option(fc.domain(), { nil: undefined }),
      forwardedProto: fc.option(fc.constantFrom('https', 'http', 'ftp', 'https, http'), { nil: undefined }),
      forwarded: fc.boolean(),
    },
    { requiredKeys: ['host', 'forwarded'] },
  )
  .map(({ host, port, forwardedHost, forwardedProto, forwarded }) => {
    const spelled = port === undefined ? host : `${host}:${port}`;
    return {
      host: spelled,
      ...(forwardedHost === undefined ? {} : { 'x-forwarded-host': forwardedHost }),
      ...(forwardedProto === undefined ? {} : { 'x-forwarded-proto': forwardedProto }),
      ...(forwarded ? { forwarded: `for=203.0.113.9;host=${spelled};proto=https` } : {}),
    };
  });

/** Every URL-valued member of a metadata document (issuer, *_endpoint, *_uri), found by iterating it. */
function urlsIn(metadata: Record<string, unknown>): [string, string][] {
  return Object.entries(metadata).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string' && (entry[0] === 'issuer' || /_(endpoint|uri)$/.test(entry[0])),
  );
}

// No proxy, and one trusted proxy hop in front (the test client is that hop's peer).
for (const trustProxy of ['false', '1']) {
  describe(`provider URLs with GATEHOUSE_TRUST_PROXY=${trustProxy}`, () => {
    let server: TestServer;
    let root: Person;
    let module: Awaited<ReturnType<typeof rootWithGrantedModule>>['module'];
    let issuer: string;

    before(async () => {
      server = await startTestServer({ realClock: true, env: { GATEHOUSE_TRUST_PROXY: trustProxy } });
      ({ root, module } = await rootWithGrantedModule(server));
      issuer = `${server.baseUrl}/oidc`;
    });
    after(() => server.close());

    test('discovery lists only the public URL, whatever host the request names', async () => {
      const documents = [
        '/oidc/.well-known/openid-configuration',
        '/oidc/.well-known/oauth-authorization-server',
        '/.well-known/oauth-authorization-server/oidc',
        '/.well-known/openid-configuration/oidc',
      ];
      const honest = await rawRequest(server.agent(), documents[0] as string, {});
      const expected = JSON.parse(honest.body) as Record<string, unknown>;
      const endpoints = urlsIn(expected);
      // The document names every endpoint a module uses; all of them on the public URL.
      for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint']) {
        assert.ok(endpoints.some(([name]) => name === key), `discovery lists ${key}`);
      }
      for (const [key, url] of endpoints) assert.ok(url === issuer || url.startsWith(`${issuer}/`), `${key} is ${url}`);

      await fc.assert(
        fc.asyncProperty(forgedHeaders, fc.constantFrom(...documents), async (headers, path) => {
          const answer = await rawRequest(server.agent(), path, headers);
          assert.equal(answer.status, 200, `${path} ${answer.body.slice(0, 200)}`);
          assert.deepEqual(JSON.parse(answer.body), expected, `${path} with ${JSON.stringify(headers)}`);
          assert.equal(answer.headers['cache-control'], 'public, max-age=300');
        }),
        { numRuns: 40 },
      );
    });

    test('the key set is public, briefly cacheable, and reached at the advertised jwks_uri', async () => {
      const answer = await rawRequest(server.agent(), '/oidc/jwks', { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['cache-control'], 'public, max-age=60');
      assert.ok((JSON.parse(answer.body) as { keys: unknown[] }).keys.length > 0);
    });

    test('the redirects of a sign-in stay on the public origin whatever host the browser names', async () => {
      await fc.assert(
        fc.asyncProperty(forgedHeaders, async (headers) => {
          const browser = server.agent();
          for (const [name, value] of root.agent.cookies) browser.cookies.set(name, value);
          const start = await startAuthorization(module.config);
          let next = start.url.pathname + start.url.search;
          for (let hop = 0; hop < 6; hop++) {
            const answer = await rawRequest(browser, next, headers);
            assert.equal(answer.status, 303, `${next}: ${answer.status} ${answer.body.slice(0, 200)}`);
            const location = String(answer.headers.location);
            if (location.startsWith(REDIRECT_URI)) {
              const tokens = await redeem(module.config, new URL(location), start);
              assert.equal(tokens.claims()?.iss, issuer);
              return;
            }
            // Relative, or absolute on the public origin: never the forged name.
            const target = new URL(location, server.baseUrl);
            assert.equal(target.origin, server.baseUrl, `redirect to ${location}`);
            assert.ok(location.startsWith('/') ? !location.startsWith('//') : true, location);
            next = target.pathname + target.search;
          }
          assert.fail('no code came back');
        }),
        { numRuns: 8 },
      );
    });

    test('no path or query string under /oidc answers a server error', async () => {
      const segment = fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}$/).filter((s) => !/%(?![0-9A-Fa-f]{2})/.test(s));
      const query = fc.option(
        fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { maxLength: 4 }).map((pairs) => new URLSearchParams(pairs).toString()),
        { nil: undefined },
      );
      const known = fc.constantFrom('', '/', '/auth', '/token', '/jwks', '/me', '/session/end', '/session/end/confirm', '/token/introspection', '/token/revocation', '/.well-known/openid-configuration');
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(known, fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`)),
          query,
          fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS'),
          fc.constantFrom('/oidc', '/%6Fidc', '/oid%63'),
          async (path, search, method, prefix) => {
            const url = `${prefix}${path}${search === undefined ? '' : `?${search}`}`;
            const answer = await rawRequest(server.agent(), url, {}, method);
            assert.ok(answer.status < 500, `${method} ${url} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
          },
        ),
        { numRuns: 150, examples: [['', 'x=1', 'GET', '/oidc'], ['', '', 'GET', '/oidc']] },
      );
    });
  });
}
