// The API's one contract: every JSON route is in the OpenAPI document with its request
// and response schemas, requests are checked against them before any handler runs, and
// a response can carry nothing its schema does not declare. Every /api/v1 operation
// documents its refusals as problem details and the headers its answers carry, so a route
// added tomorrow is born with them (src/http/openapi-answers.ts).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { GatehouseError, type ErrorCode } from '../../src/errors.ts';
import { routeTable } from '../../src/http/api-contract.ts';
import { BODY_LIMIT_BYTES } from '../../src/http/app.ts';
import { renderApiReference } from '../../src/http/api-reference.ts';
import { assertNothingDropped } from '../../src/http/response-check.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { rawRequest } from '../helpers/spellings.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

type Reference = { $ref?: string };
type Answer = Reference & { description?: string; headers?: Record<string, Reference & { required?: boolean }>; content?: Record<string, { schema?: unknown }> };
type Operation = {
  description?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  parameters?: { in: string; name: string }[];
  responses: Record<string, Answer>;
};
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas?: Record<string, JsonSchema>; responses?: Record<string, Answer> };
};

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  maxLength?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

/**
 * The longest JSON body a request schema accepts in plain ASCII: every string at its
 * maxLength, every array at its maxItems. A string or an array without a cap counts as
 * empty or one item: the contract leaves its size to the body limit.
 */
function largestAsciiBody(schema: JsonSchema, document: { components: { schemas?: Record<string, JsonSchema> } }): number {
  if (schema.$ref) return largestAsciiBody(document.components.schemas?.[schema.$ref.split('/').at(-1) as string] ?? {}, document);
  const options = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (options) return Math.max(...options.map((option) => largestAsciiBody(option, document)));
  const types = [schema.type].flat();
  if (types.includes('object') || schema.properties) {
    return 2 + Object.entries(schema.properties ?? {}).reduce((sum, [key, value]) => sum + key.length + 4 + largestAsciiBody(value, document), 0);
  }
  if (types.includes('array')) return 2 + (schema.maxItems ?? 1) * (1 + largestAsciiBody(schema.items ?? {}, document));
  if (types.includes('string')) return 2 + (schema.maxLength ?? 0);
  return 24;
}

/** Fastify's `/users/:id` is OpenAPI's `/users/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('the API contract', () => {
  let server: TestServer;
  let document: OpenApi;
  before(async () => {
    server = await startTestServer();
    const answer = await server.agent().get('/api/openapi.json');
    assert.equal(answer.status, 200);
    document = answer.body as OpenApi;
  });
  after(() => server.close());

  test('GET /api/openapi.json is an OpenAPI 3.1 document naming both ways to authenticate', () => {
    assert.equal(document.openapi, '3.1.0');
    assert.ok(document.components.securitySchemes.session);
    assert.ok(document.components.securitySchemes.bearer);
  });

  test('every JSON route is in the document, tagged, with its authentication, body and answer', () => {
    const routes = routeTable(server.gatehouse.http).filter(
      (r) => r.url.startsWith('/api/') && r.url !== '/api/openapi.json' && r.method !== 'HEAD',
    );
    assert.ok(routes.length > 40, `only ${routes.length} API routes were seen`);
    const problems: string[] = [];
    for (const route of routes) {
      const name = `${route.method} ${route.url}`;
      const operation = document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      if (!operation) {
        problems.push(`${name}: missing from the document`);
        continue;
      }
      if (!operation.tags?.length) problems.push(`${name}: no tag`);
      if (!Array.isArray(operation.security)) problems.push(`${name}: says nothing of authentication`);
      const success = Object.entries(operation.responses ?? {}).filter(([status]) => /^2/.test(status));
      if (success.length === 0) problems.push(`${name}: no success response`);
      for (const [status, response] of success) {
        const schemas = Object.values(response.content ?? {}).map((c) => c.schema);
        if (schemas.length === 0 || schemas.some((s) => s === undefined)) problems.push(`${name}: answer ${status} has no schema`);
      }
      for (const param of route.url.match(/:([A-Za-z0-9_]+)/g) ?? []) {
        if (!operation.parameters?.some((p) => p.in === 'path' && p.name === param.slice(1))) problems.push(`${name}: ${param} undocumented`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('every /api/v1 operation documents its refusals as problem details, with their codes and headers', () => {
    const answerOf = (answer: Answer | undefined) => (answer?.$ref ? document.components.responses?.[answer.$ref.split('/').at(-1) as string] : answer);
    const routes = routeTable(server.gatehouse.http).filter((r) => r.url.startsWith('/api/v1/') && r.method !== 'HEAD');
    assert.ok(routes.length > 40, `only ${routes.length} /api/v1 routes were seen`);
    const problems: string[] = [];
    for (const route of routes) {
      const path = openApiPath(route.url);
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      if (!operation) continue;
      const name = `${route.method} ${route.url}`;
      const takes = (header: string) => operation.parameters?.some((p) => p.in === 'header' && p.name === header) ?? false;
      const versioned = takes('if-match') || (route.method === 'GET' && Object.values(document.paths[path] ?? {}).some((op) => op.parameters?.some((p) => p.name === 'if-match')));
      // What the route's declaration implies it can be refused with (and the refusals always possible).
      const needed = new Set(['400', '401', '415', '429', 'default']);
      if (operation.description?.includes('Scope: ')) needed.add('403');
      if (path.includes('{')) needed.add('404');
      if (takes('if-match')) needed.add('412');
      if (takes('idempotency-key')) ['409', '422'].forEach((status) => needed.add(status));
      for (const status of needed) if (!operation.responses[status]) problems.push(`${name}: no ${status}`);
      const headers: Record<string, string[]> = { '401': ['WWW-Authenticate'], '403': ['WWW-Authenticate'], '429': ['Retry-After'] };
      for (const [status, given] of Object.entries(operation.responses)) {
        const answer = answerOf(given);
        const declared = Object.keys(answer?.headers ?? {});
        const wanted = ['RateLimit', 'RateLimit-Policy', ...(headers[status] ?? [])];
        if (/^2/.test(status)) {
          if (versioned) wanted.push('ETag');
          if (takes('idempotency-key')) wanted.push('Idempotent-Replayed');
        } else if (answer?.content?.['application/problem+json']?.schema === undefined || Object.keys(answer.content).length !== 1) {
          problems.push(`${name}: ${status} is not problem details only`);
        } else if ((answer.content['application/problem+json']?.schema as Reference).$ref !== '#/components/schemas/Problem') {
          problems.push(`${name}: ${status} does not answer the Problem schema`);
        }
        for (const header of wanted) if (!declared.includes(header)) problems.push(`${name}: ${status} declares no ${header}`);
        // The codes a refusal names are answered with its status (so a 409 is documented only where a conflict is).
        if (status !== 'default' && !/^2/.test(status)) {
          const codes = [...(answer?.description ?? '').matchAll(/`([a-z0-9_]+\.[a-z0-9_]+)`/g)].map((match) => match[1] as ErrorCode);
          if (codes.length === 0) problems.push(`${name}: ${status} names no code`);
          for (const code of codes) if (String(new GatehouseError(code).status) !== status) problems.push(`${name}: ${status} names ${code}`);
        }
      }
    }
    assert.deepEqual(problems, []);
    const problem = document.components.schemas?.Problem as { required?: string[]; properties?: Record<string, unknown> } | undefined;
    assert.deepEqual(problem?.required?.sort(), ['code', 'status', 'title', 'type']);
    assert.deepEqual(Object.keys(problem?.properties ?? {}).sort(), ['code', 'fields', 'status', 'title', 'type']);
  });

  test("the web app's routes (/api outside /api/v1) document their refusals' one shape", () => {
    const missing = Object.entries(document.paths)
      .filter(([path]) => !path.startsWith('/api/v1/'))
      .flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })))
      .filter(({ operation }) => operation.responses.default?.$ref !== '#/components/responses/WebAppRefusal')
      .map(({ name }) => name);
    assert.deepEqual(missing, []);
    const shape = document.components.responses?.WebAppRefusal?.content?.['application/json']?.schema as Reference | undefined;
    assert.equal(shape?.$ref, '#/components/schemas/Error');
  });

  test('a route that reads a body declares it: each POST that takes fields has a request body schema', () => {
    const identify = document.paths['/api/login/identify']?.post;
    const schema = identify?.requestBody?.content['application/json']?.schema as { required?: string[] } | undefined;
    assert.deepEqual(schema?.required?.sort(), ['companyName', 'username']);
  });

  // A field the contract takes at its cap must fit the body the route reads: once, SAML
  // metadata was taken up to 500,000 characters and refused at 64 KiB with a bare 413.
  test("every route's body limit holds the largest body its contract accepts", () => {
    const limits = new Map(routeTable(server.gatehouse.http).map((r) => [`${r.method} ${openApiPath(r.url)}`, r.bodyLimit ?? BODY_LIMIT_BYTES]));
    const problems: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const schema = operation.requestBody?.content['application/json']?.schema;
        if (schema === undefined) continue;
        const largest = largestAsciiBody(schema, document);
        const limit = limits.get(`${method.toUpperCase()} ${path}`) as number;
        if (largest > limit) problems.push(`${method.toUpperCase()} ${path}: takes ${largest} bytes, reads ${limit}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('a request that does not fit its schema is refused with a message per field, before the handler', async () => {
    const answer = await server.agent().post('/api/login/identify', { username: '', companyName: 7 });
    assert.equal(answer.status, 400);
    const { error } = answer.body as { error: { code: string; fields: Record<string, string> } };
    assert.equal(error.code, 'request.invalid');
    assert.equal(error.fields.username, 'Username is required.');
    assert.ok(error.fields.companyName);
  });

  test('an anonymous caller is refused before its body is read: 401, never the fields', async () => {
    const answer = await server.agent().post('/api/company/users', { email: 'not an email' });
    assert.equal(answer.status, 401);
    assert.equal((answer.body as { error: { code: string } }).error.code, 'session.required');
  });

  test('a malformed id in a path is as unknown as a missing one: 404', async () => {
    const operator = await signedInOperator(server);
    for (const id of ['not-a-uuid', '1', "x' or 1=1"]) {
      const answer = await operator.agent.post(`/api/operator/companies/${encodeURIComponent(id)}/suspend`, {});
      assert.equal(answer.status, 404, id);
    }
  });

  test('an unknown path under /api/v1 answers problem details however it is spelled', async () => {
    const spellings = ['/api/v1/nope', '/%61pi/v1/nope', '/api/v1/%6Eope', '//api//v1/nope', '/api/./v1/nope', '/api/x/../v1/nope', `${server.baseUrl}/api/v1/nope`];
    for (const spelling of spellings) {
      const answer = await rawRequest(server.baseUrl, 'GET', spelling);
      assert.equal(answer.status, 404, spelling);
      assert.match(String(answer.headers['content-type']), /^application\/problem\+json/, spelling);
      assert.equal(answer.body.code, 'request.not_found', spelling);
    }
  });

  test('a response carrying a field its schema lacks is refused, not trimmed', () => {
    assert.throws(() => assertNothingDropped({ a: 1, secret: 'x' }, { a: 1 }, 'GET /x'), /does not declare "secret"/);
    assert.throws(() => assertNothingDropped({ list: [{ a: 1, b: 2 }] }, { list: [{ a: 1 }] }, 'GET /x'), /"list\[0\]\.b"/);
    assert.doesNotThrow(() => assertNothingDropped({ a: 1, gone: undefined }, { a: 1 }, 'GET /x'));
  });
});

describe('the API reference in docs/', () => {
  test('docs/API-REFERENCE.md is what the running server declares (run `npm run docs:api` after changing a route)', async () => {
    const server = await startTestServer();
    try {
      const document = (await server.agent().get('/api/openapi.json')).body;
      const written = await readFile(new URL('../../docs/API-REFERENCE.md', import.meta.url), 'utf8');
      assert.equal(written, renderApiReference(document as never), 'docs/API-REFERENCE.md is stale: run `npm run docs:api`');
    } finally {
      await server.close();
    }
  });
});
