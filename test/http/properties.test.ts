// Keep the classes closed: property-based tests over every route the server registers
// (read from the router itself, so a new route is covered the day it is added), with
// generated path spellings, JSON bodies (`__proto__`, `constructor`, deep nesting, huge
// numbers, wrong types), content types, headers and query strings. Invariants: no 5xx
// ever; no state change without our Origin; every spelling the router routes gets the
// guard its canonical path gets. On both engines: PostgreSQL refuses what SQLite stores
// as data (a NUL in text), so only it shows a control character that reached a query.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Agent } from '../helpers/agent.ts';
import { apiClient, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { registerTestModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawRequest, snapshot, spellings, type RawAnswer } from '../helpers/spellings.ts';

interface Route {
  path: string;
  methods: string[];
}

/** Every route in the router, from Fastify's own listing of its tree. */
function routesOf(server: TestServer): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of server.gatehouse.http.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    const parent = stack[depth - 1] ?? '';
    // The listing prints a wildcard child without the slash before it (`/oidc` then `*`).
    const path = parent + (match[2] === '*' && !parent.endsWith('/') ? '/*' : (match[2] ?? ''));
    stack[depth] = path;
    if (match[3]) routes.push({ path, methods: match[3].split(', ') });
  }
  // Each one read back is a route the server has: the listing was read right.
  for (const { path, methods } of routes) {
    for (const method of methods) assert.ok(server.gatehouse.http.hasRoute({ method: method as 'GET', url: path }), `${method} ${path}`);
  }
  return routes;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const isProvider = (path: string) => path === '/oidc' || path.startsWith('/oidc/');
/**
 * Routes other sites post to by protocol, so no Origin check can guard them: the provider's
 * (its own checks), and SAML's ACS, where the company's identity provider's page posts the
 * signed answer (its guard is the signature bound to a request this browser made:
 * test/http/sso-saml.test.ts).
 */
const crossSiteByProtocol = (path: string) => isProvider(path) || path === '/saml/:companyId/acs';
const isBearerApi = (path: string) => path === '/api/v1' || path.startsWith('/api/v1/');
/** The error code in either shape: the web app's `{ error: { code } }`, or problem details' top-level `code` (/api/v1). */
const errorCode = (answer: RawAnswer): string | undefined => answer.body?.error?.code ?? (answer.body as { code?: string } | undefined)?.code;
const notRouted = (answer: RawAnswer) =>
  (answer.status === 404 && errorCode(answer) === 'request.not_found') ||
  // A body that cannot be read (not JSON, or not UTF-8 text: a lone surrogate escaped) is
  // refused as it is parsed, which a spelling the router rewrites reaches before its guard.
  (answer.status === 400 && ['request.invalid', 'request.not_utf8'].includes(errorCode(answer) ?? ''));

// Control characters as a field's whole value or inside it, and a users cursor that
// base64url-decodes to one: text PostgreSQL cannot hold (a NUL) or no field should take.
const NUL_CURSOR = Buffer.from('u:a\u0000b').toString('base64url');
const controlCharacters = fc.constantFrom('\u0000', 'a\u0000b', 'x\u001by', '\u007f', 'a\u0085b');
const controlText = fc.oneof(controlCharacters, fc.constant(NUL_CURSOR));
// Bodies an attacker or a broken client sends; some keys are the fields routes read.
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'isOperator', 'role', 'companyId');
const fieldKey = fc.constantFrom('name', 'description', 'username', 'companyName', 'email', 'displayName', 'reason', 'note', 'csv', 'target', 'handle');
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 0.1, '', '\u0000', '\ud800', 'x'.repeat(5000), '${jndi:x}', "' OR 1=1 --"),
  controlText,
  fc.dictionary(hostileKey, fc.jsonValue({ maxDepth: 2 })),
);
const deep = fc.nat({ max: 30_000 }).map((n) => '['.repeat(n) + ']'.repeat(n));
const bodyText = fc.oneof(
  fc.dictionary(fc.oneof(hostileKey, fieldKey, fc.string({ maxLength: 20 })), hostileValue).map((o) => JSON.stringify(o)),
  fc.dictionary(hostileKey, hostileValue).map((o) => JSON.stringify(o).replace('"constructor"', '"__proto__"')),
  deep,
  fc.constantFrom('', '{', 'null', '[]', '"x"', '{"__proto__":{"isOperator":true}}', '{"constructor":{"prototype":{"x":1}}}', '1e99999'),
);
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'APPLICATION/JSON', 'application/jsonx', undefined);
const queryKey = fc.constantFrom('status', 'limit', 'before', 'from', 'to', 'companyId', 'client_id', 'x', 'target', 'actorId', 'action', 'cursor', 'login_hint', 'state');
// Now and then one escape that is not UTF-8 (a Latin-1 byte, an overlong "/", an encoded
// surrogate, a sequence cut short), left as sent: refused before any route reads it.
const notUtf8Escape = fc.constantFrom('state=Caf%E9', 'cursor=%C0%AF', 'q=%ED%A0%80', '%C3=1', 'client_id=%FF');
const query = fc.option(
  fc.tuple(
    fc.dictionary(fc.oneof(hostileKey, queryKey, fc.string({ maxLength: 8 })), fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('1e308', '-1', 'all', '%', '%00', '[]'), controlText)),
    fc.oneof({ arbitrary: fc.constant(undefined), weight: 9 }, { arbitrary: notUtf8Escape, weight: 1 }),
  ).map(([q, bad]) => [...Object.entries(q).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`), ...(bad ? [bad] : [])].join('&')),
  { nil: undefined },
);

for (const engine of await enginesUnderTest()) describe(`properties over every route (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let company: SignedInCompany;
  let member: Person;
  let moduleId: string;
  let routes: Route[];
  /** A platform API client's bearer token: /api/v1 reads every company's data, and keeps the module catalogue. */
  let bearer: string;
  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    company = await companyWithRootMaster(server, operator, 'Property Test IT', 'root@property.test');
    member = await invitedMember(server, company, company.root.agent, { username: 'prop-member', role: 'user' });
    moduleId = (await registerTestModule(operator)).module.id;
    routes = routesOf(server);
    const scopes = ['users:read', 'policy:read', 'audit:read', 'modules:read', 'modules:write', 'companies:read', 'requests:read'];
    const client = await apiClient(server, { name: 'Property sync', scopes, companyId: null });
    bearer = await tokenFor(server, client.client.clientId, client.clientSecret);
  });
  after(() => server.close());

  /** A concrete path for a route: real ids where the route names records, random tokens elsewhere. */
  const concrete = (path: string, pick: number) =>
    path
      .replace(':companyId', company.companyId)
      .replace(':userId', member.id)
      .replace(':moduleId', moduleId)
      .replace(':id', [member.id, company.companyId, moduleId, randomUUID()][pick % 4] as string)
      .replace(/:token|:uid/, 'Tk_' + 'a1B2'.repeat(10))
      .replace(':handle', '0123456789abcdef')
      .replace('*', ['token', '.well-known/openid-configuration', 'auth', 'jwks', 'me', 'x'][pick % 6] as string);

  const routeAndMethod = () => fc.constantFrom(...routes.flatMap((r) => r.methods.map((method) => ({ path: r.path, method }))));

  test('the listing finds the routes (each audience, the provider, the pages)', () => {
    const paths = routes.map((r) => r.path);
    for (const expected of ['/api/company/users/:id/deactivate', '/api/operator/modules/:id/rotate-secret', '/api/me/sessions/revoke-all', '/oidc/*', '/signup/:token', '/healthz']) {
      assert.ok(paths.includes(expected), `${expected} in ${paths.length} routes`);
    }
  });

  test('without our Origin nothing changes, and every spelling gets the canonical guard', async () => {
    const stateChanging = routes.filter((r) => !crossSiteByProtocol(r.path)).flatMap((r) => r.methods.filter((m) => !SAFE.has(m)).map((method) => ({ path: r.path, method })));
    assert.ok(stateChanging.length > 40, 'the state-changing routes were found');
    const foreign = fc.constantFrom<Record<string, string>>(
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: server.baseUrl.replace('http:', 'https:') },
      { origin: `${server.baseUrl}.evil.example` },
    );
    const before = await snapshot(server);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...stateChanging),
        fc.nat(),
        fc.constantFrom('root', 'operator', 'member', 'nobody'),
        foreign,
        contentType,
        bodyText,
        async (route, pick, who, headers, type, body) => {
          const path = concrete(route.path, pick);
          const agent = { root: company.root.agent, operator, member: member.agent, nobody: undefined }[who];
          const all = { ...headers, ...(agent ? { cookie: agent.cookieHeader() } : {}), ...(type ? { 'content-type': type } : {}) };
          const canonical = await rawRequest(server.baseUrl, route.method, path, all, body);
          assert.ok(canonical.status < 500, `${route.method} ${path}: ${canonical.status}`);
          // The bearer API (/api/v1) has no origin check: cookies are no credential there,
          // so without a token the answer is 401 whatever cookies came along.
          const refusal = isBearerApi(route.path) ? [401, 'api.token_required'] : [403, 'csrf.forbidden_origin'];
          // /api/v1 answers RFC 9457 problem details: the code is a top-level member there.
          const codeOf = (body: { code?: string; error?: { code?: string } } | undefined) => body?.error?.code ?? body?.code;
          assert.deepEqual([canonical.status, codeOf(canonical.body)], refusal, `${route.method} ${path} ${JSON.stringify(headers)}`);
          const spelled = fc.sample(spellings(path, server.baseUrl), { numRuns: 1, seed: pick })[0] as string;
          const answer = await rawRequest(server.baseUrl, route.method, spelled, all, body);
          assert.ok(answer.status < 500, `${route.method} ${spelled}: ${answer.status}`);
          if (!notRouted(answer)) assert.deepEqual([answer.status, codeOf(answer.body)], refusal, `${route.method} ${spelled}`);
        },
      ),
      { numRuns: 150 },
    );
    assert.equal(await snapshot(server), before, 'no request without our Origin changed anything');
  });

  test('no request input produces a 5xx, on any route, whatever its spelling', async () => {
    // Requests from our own origin that the handlers read: every route and method, bodies,
    // queries and headers of every shape, signed in as each audience or not at all.
    await fc.assert(
      fc.asyncProperty(
        routeAndMethod(),
        fc.nat(),
        fc.boolean(),
        fc.constantFrom('root', 'operator', 'member', 'nobody', 'client'),
        contentType,
        bodyText,
        query,
        fc.record({ accept: fc.constantFrom('*/*', 'text/html', 'application/json', ''), 'sec-fetch-dest': fc.constantFrom('document', 'empty', 'image') }, { requiredKeys: [] }),
        async (route, pick, spell, who, type, body, search, extra) => {
          // Ending the sessions the other runs use would leave nothing signed in to test.
          if (/logout|revoke-all|\/password$|two-factor\/reset|reset-2fa|\/suspend$|\/delete$|deactivate|transfer-root-master/.test(route.path)) who = 'nobody';
          const base = concrete(route.path, pick);
          const path = (spell ? (fc.sample(spellings(base, server.baseUrl), { numRuns: 1, seed: pick })[0] as string) : base) + (search ? `${base.includes('?') ? '&' : '?'}${search}` : '');
          // /api/v1 takes a bearer token, no session: there, anyone signed in is the API client.
          if (isBearerApi(route.path) && who !== 'nobody') who = 'client';
          else if (who === 'client') who = 'root';
          const agent = { root: company.root.agent, operator, member: member.agent, nobody: undefined, client: undefined }[who];
          const credentials: Record<string, string> = who === 'client' ? { authorization: `Bearer ${bearer}` } : agent ? { cookie: agent.cookieHeader() } : {};
          const headers: Record<string, string> = { origin: server.baseUrl, ...extra, ...credentials, ...(type ? { 'content-type': type } : {}) };
          const sendsBody = !SAFE.has(route.method) && route.method !== 'TRACE';
          const answer = await rawRequest(server.baseUrl, route.method, path, headers, sendsBody ? body : undefined);
          assert.ok(answer.status < 500, `${route.method} ${path} (${type}, ${body.slice(0, 60)}): ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
        },
      ),
      { numRuns: 400 },
    );
  });

  test('a control character in any query parameter a route reads is a 4xx', async () => {
    // Each GET route's own query parameters, from the OpenAPI document (the routes' schemas),
    // each sent alone with control text, by the audience the route serves: so every filter
    // reaches the validation, and on PostgreSQL the query, if its rule were missing.
    const document = (await server.agent().get('/api/openapi.json')).body as OpenApiPaths;
    const parameters = Object.entries(document.paths).flatMap(([path, operations]) =>
      (operations.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ path: path.replace(/\{(\w+)\}/g, ':$1'), name: p.name })),
    );
    assert.ok(parameters.some((p) => p.path === '/api/v1/companies/:companyId/audit' && p.name === 'target'), `${parameters.length} query parameters`);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...parameters), controlCharacters, fc.nat(), async ({ path, name }, control, pick) => {
        const value = name === 'cursor' && pick % 2 === 0 ? NUL_CURSOR : control;
        const url = `${concrete(path, pick)}?${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
        const answer = await rawRequest(server.baseUrl, 'GET', url, { origin: server.baseUrl, ...credentialsFor(path) });
        assert.ok(answer.status >= 400 && answer.status < 500, `${url}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
      }),
      { numRuns: parameters.length * 4 },
    );
  });

  /** The audience a route serves: the API client on /api/v1, operators and Masters on their consoles, a user elsewhere. */
  function credentialsFor(path: string): Record<string, string> {
    if (isBearerApi(path)) return { authorization: `Bearer ${bearer}` };
    const agent = path.startsWith('/api/operator/') ? operator : path.startsWith('/api/company/') ? company.root.agent : member.agent;
    return { cookie: agent.cookieHeader() };
  }
});

type OpenApiPaths = { paths: Record<string, { get?: { parameters?: { in: string; name: string }[] } }> };
