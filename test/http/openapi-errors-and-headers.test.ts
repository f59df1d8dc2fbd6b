// The OpenAPI document Gatehouse publishes at GET /api/openapi.json (the one clients are
// generated from: openapi-typescript + openapi-fetch) against what /api/v1 really answers.
// Guards that every refusal an API client meets is documented for its operation, as RFC 9457
// problem details (the `Problem` schema), so a generated client types `error` and can read
// `error.code`: 400 (with fields), 401, 403, 404, 409, 412, 415, 422, 429. And that the
// headers docs/API.md makes part of the contract are declared on the answers that carry
// them (ETag for If-Match, WWW-Authenticate, Retry-After, Idempotent-Replayed, RateLimit),
// and that every header the document says is always sent is on the real answer. The
// document builds all this from what each route declares (src/http/openapi-answers.ts);
// test/http/api-contract.test.ts requires it of every /api/v1 operation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import ts from 'typescript';
import { apiClient, company, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

type Answer = Awaited<ReturnType<typeof sendApi>>;
type MediaObject = { schema?: object };
type Reference = { $ref?: string };
type HeaderObject = { required?: boolean };
type ResponseObject = { content?: Record<string, MediaObject>; headers?: Record<string, HeaderObject & Reference> };
type Operation = { responses: Record<string, ResponseObject & Reference> };
type OpenApi = { paths: Record<string, Record<string, Operation>>; components?: Record<string, Record<string, unknown>> };

/** What a local reference (`#/components/...`) names in the document; anything else as it is. */
function resolved<T extends object>(document: OpenApi, value: (T & Reference) | undefined): T | undefined {
  if (!value?.$ref) return value;
  return value.$ref
    .slice(2)
    .split('/')
    .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], document) as T | undefined;
}

const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as new (options: object) => {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;

const MISSING = '5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f';
const COMPANY_SCOPES = ['users:read', 'users:write', 'mfa:reset', 'policy:read', 'policy:write', 'audit:read', 'modules:read', 'modules:switch'];
const PLATFORM_SCOPES = [...COMPANY_SCOPES, 'modules:write', 'companies:read', 'companies:write', 'requests:read', 'requests:write'];
const RATE_LIMIT = 30;

for (const engine of await enginesUnderTest()) describe(`/api/v1 refusals against GET /api/openapi.json (${engine})`, () => {
  let server: TestServer;
  let document: OpenApi;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  let alpha: { companyId: string };
  let beta: { companyId: string };
  let full: string;
  let reader: string;
  let platform: string;

  async function token(scopes: string[], companyId: string | null) {
    const { client, clientSecret } = await apiClient(server, { scopes, companyId });
    return tokenFor(server, client.clientId, clientSecret);
  }

  /** The documented operation a concrete path belongs to (`{id}` matches one segment). */
  function operationOf(method: string, path: string): { template: string; operation: Operation } | undefined {
    for (const [template, operations] of Object.entries(document.paths)) {
      const pattern = new RegExp(`^${template.replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const operation = operations[method.toLowerCase()];
      if (operation && pattern.test(path.split('?')[0] as string)) return { template, operation };
    }
    return undefined;
  }

  /**
   * What a client generated from the document would get wrong about this answer: a status
   * the operation does not list, a content type it does not list for that status, a body
   * its schema refuses.
   */
  function mismatch(method: string, path: string, answer: Answer): string | undefined {
    const found = operationOf(method, path);
    if (!found) return `${method} ${path}: not in the document`;
    const name = `${method} ${found.template} ${answer.status} ${String(answer.body?.code ?? '')}`.trim();
    const response = resolved(document, found.operation.responses[String(answer.status)]);
    if (!response) return `${name}: status not documented (only ${Object.keys(found.operation.responses).join(', ')})`;
    const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() as string;
    const media = response.content?.[mediaType];
    if (!media) return `${name}: ${mediaType} not documented (only ${Object.keys(response.content ?? {}).join(', ')})`;
    if (media.schema && typeof answer.body === 'object') {
      // The schema with the document's components beside it, so its references resolve.
      const validate = ajv.compile({ ...media.schema, components: document.components });
      if (!validate(answer.body)) return `${name}: body does not fit the schema: ${JSON.stringify(validate.errors)}`;
    }
    const missing = Object.entries(response.headers ?? {})
      .filter(([header, declared]) => resolved<HeaderObject>(document, declared)?.required && !answer.headers.has(header))
      .map(([header]) => header);
    if (missing.length > 0) return `${name}: the document says ${missing.join(', ')} always comes, and it did not`;
    return undefined;
  }

  /** The headers the document declares for this answer's status. */
  function documentedHeaders(method: string, path: string, status: number): string[] {
    const response = resolved(document, operationOf(method, path)?.operation.responses[String(status)]);
    return Object.keys(response?.headers ?? {}).map((header) => header.toLowerCase());
  }

  async function checked(method: string, path: string, bearer: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
    const answer = await sendApi(server, method, path, bearer, body, headers);
    return { answer, mismatch: mismatch(method, path, answer) };
  }

  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_API_RATE_LIMIT: String(RATE_LIMIT) } });
    const answer = await server.agent().get('/api/openapi.json');
    assert.equal(answer.status, 200);
    document = answer.body as OpenApi;
    alpha = await company(server, 'Alpha Support', 'alma');
    beta = await company(server, 'Beta Systems', 'bert');
    full = await token(COMPANY_SCOPES, alpha.companyId);
    reader = await token(['users:read'], alpha.companyId);
    platform = await token(PLATFORM_SCOPES, null);
  });
  after(() => server.close());

  test('authentication refusals (401 no token / invalid token, 403 wrong scope) are documented as problem details', async () => {
    const users = `/api/v1/companies/${alpha.companyId}/users`;
    const answers = [
      await checked('GET', '/api/v1/client', undefined),
      await checked('GET', users, 'not-a-token'),
      await checked('POST', users, reader, { email: 'eve@alpha.test', username: 'eve', role: 'user' }),
      await checked('GET', '/api/v1/companies', full),
      await checked('POST', '/api/v1/requests', full, { companyName: 'Gamma Co', contactName: 'Gus', email: 'gus@gamma.test', phone: '+1 555 0100' }),
      // A route any client may call, whose handler asks a platform client for companies:read.
      await checked('GET', `/api/v1/companies/${alpha.companyId}`, await token(['requests:read'], null)),
    ];
    assert.deepEqual(answers.map(({ answer }) => answer.status), [401, 401, 403, 403, 403, 403]);
    for (const { answer } of answers) assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.deepEqual(answers.flatMap(({ mismatch: problem }) => problem ?? []), []);
  });

  test("another company's id and unknown ids (404 request.not_found) are documented", async () => {
    const answers = [
      await checked('GET', `/api/v1/companies/${beta.companyId}/users`, full),
      await checked('GET', `/api/v1/companies/${alpha.companyId}/users/${MISSING}`, full),
      await checked('POST', `/api/v1/companies/${alpha.companyId}/groups/${MISSING}/rename`, full, { name: 'Ops' }),
      await checked('POST', `/api/v1/requests/${MISSING}/reject`, platform, { reason: 'no' }),
      await checked('GET', `/api/v1/companies/${beta.companyId}`, full),
    ];
    assert.ok(answers.every(({ answer }) => answer.status === 404 && answer.body.code === 'request.not_found'));
    assert.deepEqual(answers.flatMap(({ mismatch: problem }) => problem ?? []), []);
  });

  test('invalid requests (400 request.invalid with fields, 415, an encoded body on a GET too) are documented', async () => {
    const users = `/api/v1/companies/${alpha.companyId}/users`;
    const answers = [
      await checked('POST', users, full, { email: 'x', username: '', role: 'boss' }),
      await checked('GET', `${users}?limit=0`, full),
      await checked('GET', `${users}?cursor=abc`, full),
      await checked('POST', `/api/v1/companies/${alpha.companyId}/policy`, full, { ipAllowlist: ['10.9.9.9/32'] }),
      await checked('POST', `/api/v1/companies/${alpha.companyId}/groups`, full, undefined, { 'content-type': 'text/plain' }),
      await checked('GET', '/api/v1/client', full, undefined, { 'content-encoding': 'gzip' }),
    ];
    assert.deepEqual(answers.map(({ answer }) => answer.status), [400, 400, 400, 400, 415, 415]);
    assert.deepEqual(answers.flatMap(({ mismatch: problem }) => problem ?? []), []);
  });

  test('conflicts (409 taken, 412 If-Match mismatch, 422 Idempotency-Key reused) are documented', async () => {
    const users = `/api/v1/companies/${alpha.companyId}/users`;
    const policy = `/api/v1/companies/${alpha.companyId}/policy`;
    const first = await sendApi(server, 'POST', users, full, { email: 'carla@alpha.test', username: 'carla', role: 'user' }, { 'idempotency-key': 'conflict-k1' });
    assert.equal(first.status, 201);
    const read = await sendApi(server, 'GET', policy, full);
    const etag = read.headers.get('etag') as string;
    assert.equal((await sendApi(server, 'POST', policy, full, { lockoutThreshold: 6 }, { 'if-match': etag })).status, 200);
    const answers = [
      await checked('POST', users, full, { email: 'carla2@alpha.test', username: 'carla', role: 'user' }),
      await checked('POST', policy, full, { lockoutThreshold: 7 }, { 'if-match': etag }),
      await checked('POST', users, full, { email: 'dora@alpha.test', username: 'dora', role: 'user' }, { 'idempotency-key': 'conflict-k1' }),
      await checked('POST', `${users}/${first.body.user.id as string}/reset-2fa`, full),
    ];
    assert.deepEqual(answers.map(({ answer }) => answer.status), [409, 412, 422, 409]);
    assert.deepEqual(answers.flatMap(({ mismatch: problem }) => problem ?? []), []);
  });

  test('the rate limit (429 api.rate_limited) is documented, with its Retry-After', async () => {
    const bearer = await token(['users:read'], alpha.companyId);
    let last: Answer | undefined;
    for (let i = 0; i <= RATE_LIMIT; i += 1) {
      last = await sendApi(server, 'GET', '/api/v1/client', bearer);
      if (last.status === 429) break;
    }
    assert.equal(last?.status, 429);
    assert.equal(last?.body.code, 'api.rate_limited');
    assert.ok(last?.headers.get('retry-after'));
    assert.deepEqual([mismatch('GET', '/api/v1/client', last as Answer)].filter(Boolean), []);
    assert.ok(documentedHeaders('GET', '/api/v1/client', 429).includes('retry-after'), 'Retry-After is not in the document');
  });
});

describe('the headers /api/v1 sends are in the document', () => {
  let server: TestServer;
  let document: OpenApi;
  let full: string;
  let companyId: string;
  before(async () => {
    server = await startTestServer();
    document = (await server.agent().get('/api/openapi.json')).body as OpenApi;
    companyId = (await company(server, 'Alpha Support', 'alma')).companyId;
    const { client, clientSecret } = await apiClient(server, { scopes: COMPANY_SCOPES, companyId });
    full = await tokenFor(server, client.clientId, clientSecret);
  });
  after(() => server.close());

  const headersOf = (path: string, method: string, status: number) =>
    Object.keys(resolved(document, document.paths[path]?.[method]?.responses[String(status)])?.headers ?? {}).map((header) => header.toLowerCase());

  test("the policy's ETag (the value If-Match takes) is declared on the answers that send it", async () => {
    const path = `/api/v1/companies/${companyId}/policy`;
    const read = await sendApi(server, 'GET', path, full);
    assert.ok(read.headers.get('etag'));
    const saved = await sendApi(server, 'POST', path, full, { lockoutThreshold: 6 }, { 'if-match': read.headers.get('etag') as string });
    assert.ok(saved.headers.get('etag'));
    const template = '/api/v1/companies/{companyId}/policy';
    assert.deepEqual(
      { get: headersOf(template, 'get', 200).includes('etag'), post: headersOf(template, 'post', 200).includes('etag') },
      { get: true, post: true },
    );
  });

  test('the bearer challenge (WWW-Authenticate) and the replay mark (Idempotent-Replayed) are declared', async () => {
    const users = `/api/v1/companies/${companyId}/users`;
    const refused = await sendApi(server, 'GET', users, undefined);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
    const body = { email: 'carla@alpha.test', username: 'carla', role: 'user' };
    await sendApi(server, 'POST', users, full, body, { 'idempotency-key': 'replay-h1' });
    const replay = await sendApi(server, 'POST', users, full, body, { 'idempotency-key': 'replay-h1' });
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.ok(replay.headers.get('ratelimit'));
    const template = '/api/v1/companies/{companyId}/users';
    assert.deepEqual(
      {
        wwwAuthenticate: headersOf(template, 'get', 401).includes('www-authenticate'),
        idempotentReplayed: headersOf(template, 'post', 201).includes('idempotent-replayed'),
        rateLimit: headersOf(template, 'post', 201).includes('ratelimit'),
      },
      { wwwAuthenticate: true, idempotentReplayed: true, rateLimit: true },
    );
  });

  // What the document is for: a client generated from it (openapi-typescript, openapi-fetch)
  // compiles code that reads a refusal's code and fields and the contract's headers.
  test('a client generated from the document reads error.code, error.fields and the headers, type-checked', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'gatehouse-client-'));
    try {
      writeFileSync(path.join(folder, 'api.d.ts'), astToString(await openapiTS(document as unknown as OpenAPI3)));
      const use = path.join(folder, 'use.ts');
      writeFileSync(
        use,
        [
          "import createClient from 'openapi-fetch';",
          "import type { paths } from './api.d.ts';",
          "const client = createClient<paths>({ baseUrl: 'http://gatehouse.test' });",
          'export async function refusal(companyId: string): Promise<string | undefined> {',
          "  const { error } = await client.POST('/api/v1/companies/{companyId}/users', { params: { path: { companyId } }, body: { email: 'a@b.test', username: 'a', role: 'user' } });",
          '  if (!error) return undefined;',
          '  const fields: Record<string, string> | undefined = error.fields;',
          '  return `${error.status} ${error.code} ${error.type} ${error.title} ${Object.keys(fields ?? {}).join()}`;',
          '}',
          "type Headers<P extends keyof paths, M extends 'get' | 'post', S extends number> = paths[P][M] extends { responses: Record<S, { headers: infer H }> } ? H : never;",
          "export const etag: Headers<'/api/v1/companies/{companyId}/policy', 'get', 200>['ETag'] = 'v1';",
          "export const replayed: Headers<'/api/v1/companies/{companyId}/users', 'post', 201>['Idempotent-Replayed'] = 'true';",
          "export const rate: Headers<'/api/v1/client', 'get', 200>['RateLimit'] = 'per-client';",
          "export const retry: Headers<'/api/v1/client', 'get', 429>['Retry-After'] = '1';",
          '',
        ].join('\n'),
      );
      const fetchTypes = fileURLToPath(new URL('../../node_modules/openapi-fetch/dist/index.d.mts', import.meta.url));
      const program = ts.createProgram([use], {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
        types: [],
        paths: { 'openapi-fetch': [fetchTypes] },
      });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      assert.deepEqual(problems, []);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
