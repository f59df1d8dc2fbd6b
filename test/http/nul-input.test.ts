// SECURITY-CHECKS H.29: a control character in a request is bad input, answered 400, never
// 500. On PostgreSQL it matters most: text cannot hold a NUL, and a statement carrying one
// fails (22021). Three layers hold, each tested here: every request field goes through the
// contract's text rules (src/contract/fields.ts), a cursor is checked for what it decodes
// to (src/http/api-cursors.ts), and a value the database still refuses is the request's
// 400 (src/http/error-handler.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql, type RawBuilder } from 'kysely';
import { handleError } from '../../src/http/error-handler.ts';
import type { Agent } from '../helpers/agent.ts';
import { apiClient, company, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawRequest } from '../helpers/spellings.ts';
import { everyRequestField } from '../helpers/route-fields.ts';

const CONTROL_CHARACTERS = ['\u0000', '\u001b', '\u007f', '\u0085'];

/**
 * Fields that may hold any character, each for a reason: secrets hashed before any use,
 * never stored or looked up as text; and WebAuthn extension outputs, handed to the
 * verifier as they came and never stored.
 */
const ANY_CHARACTER = [
  /^body\.(password|confirm|currentPassword|newPassword)$/,
  /^params\.token$/,
  /\.clientExtensionResults\{\}$/,
];

describe('every request field refuses control characters', () => {
  test('no route takes a field that lets a control character through (a bare z.string() would)', async () => {
    const fields: string[] = [];
    const open: string[] = [];
    for (const field of await everyRequestField()) {
      fields.push(field.name);
      if (ANY_CHARACTER.some((allowed) => allowed.test(field.path))) continue;
      const taken = CONTROL_CHARACTERS.filter((c) => field.schema.safeParse(`plain${c}text`).success);
      if (taken.length > 0) open.push(`${field.name} takes ${taken.map((c) => `U+${c.codePointAt(0)?.toString(16).padStart(4, '0')}`).join(', ')}`);
    }
    // The walk saw the routes and reached the fields that once let a NUL through.
    for (const seen of ['GET /api/v1/companies/:companyId/audit querystring.target', 'POST /api/v1/modules body.description', 'POST /api/company/sso/providers body.metadataXml']) {
      assert.ok(fields.includes(seen), `${seen} among ${fields.length} fields`);
    }
    assert.deepEqual(open, [], 'each field goes through text(), multilineText(), fileText() or an id shape (src/contract/fields.ts)');
  });
});

const problem = (answer: { status: number; body: any }) => [answer.status, answer.body?.code ?? answer.body?.error?.code, answer.body?.fields ?? answer.body?.error?.fields];

for (const engine of await enginesUnderTest()) describe(`a NUL in a request is a 400 (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let acme: SignedInCompany;
  let companyId: string;
  let reader: string;
  let catalogue: string;
  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Nul Console IT', 'root@nul-console.test');
    companyId = (await company(server, 'Nul Probe IT', 'nulroot')).companyId;
    const made = await apiClient(server, { scopes: ['users:read', 'audit:read'], companyId });
    reader = await tokenFor(server, made.client.clientId, made.clientSecret);
    const platform = await apiClient(server, { name: 'Catalogue sync', scopes: ['modules:write'], companyId: null });
    catalogue = await tokenFor(server, platform.client.clientId, platform.clientSecret);
  });
  after(() => server.close());

  test('the audit filters, on /api/v1, in the consoles and as CSV', async () => {
    for (const [filter, field] of [['target=a%00b', 'target'], ['actorId=a%00b', 'actorId'], ['target=%1B', 'target']] as const) {
      for (const path of [`/api/v1/companies/${companyId}/audit`, `/api/v1/companies/${companyId}/audit.csv`]) {
        const answer = await sendApi(server, 'GET', `${path}?${filter}`, reader);
        assert.deepEqual(problem(answer).slice(0, 2), [400, 'request.invalid'], `${path}?${filter}: ${JSON.stringify(answer.body)}`);
        assert.ok(problem(answer)[2]?.[field], `${path}?${filter} names ${field}`);
      }
      for (const [agent, path] of [[acme.root.agent, '/api/company/audit'], [acme.root.agent, '/api/company/audit.csv'], [operator, '/api/operator/audit'], [operator, '/api/operator/audit.csv']] as const) {
        const answer = await agent.get(`${path}?${filter}`);
        assert.deepEqual(problem(answer).slice(0, 2), [400, 'request.invalid'], `${path}?${filter}: ${JSON.stringify(answer.body)}`);
        assert.ok(problem(answer)[2]?.[field], `${path}?${filter} names ${field}`);
      }
    }
    // A real filter still reads: an id, and a target as it was recorded.
    const byRoot = await acme.root.agent.get(`/api/company/audit?actorId=${acme.root.id}&target=${acme.root.id}`);
    assert.equal(byRoot.status, 200, JSON.stringify(byRoot.body));
  });

  test('a users cursor that decodes to a NUL or another control character is not a cursor', async () => {
    // (An invisible character is: a username saved before today's rules may hold one,
    // and the page after it must read: test/http/api-cursor-saved-names.test.ts.)
    for (const decoded of ['u:a\u0000b', 'u:\u0000', 'u:a\u001bb', 'u:a\u0085b']) {
      const cursor = Buffer.from(decoded).toString('base64url');
      const answer = await sendApi(server, 'GET', `/api/v1/companies/${companyId}/users?cursor=${cursor}`, reader);
      assert.deepEqual(problem(answer), [400, 'request.invalid', { cursor: 'Not a cursor from a previous page.' }], JSON.stringify(decoded));
    }
    // Nor is one naming a plain username that the server did not seal (src/http/api-cursors.ts):
    // a cursor is only ever one a previous page answered (test/http/api-v1-operations.test.ts).
    const named = await sendApi(server, 'GET', `/api/v1/companies/${companyId}/users?cursor=${Buffer.from('u:nulroot').toString('base64url')}`, reader);
    assert.deepEqual(problem(named), [400, 'request.invalid', { cursor: 'Not a cursor from a previous page.' }]);
  });

  test('a module description: a NUL is refused, line breaks are kept (POST /api/v1/modules, the operator console)', async () => {
    const module = (description: string, n: number) => ({
      name: `Nul Desk ${n}`,
      description,
      launchUrl: 'https://nul.example/launch',
      redirectUris: ['https://nul.example/callback'],
      clientType: 'confidential',
    });
    const viaApi = await sendApi(server, 'POST', '/api/v1/modules', catalogue, module('Ticket\u0000desk', 1));
    assert.deepEqual(problem(viaApi).slice(0, 2), [400, 'request.invalid'], JSON.stringify(viaApi.body));
    assert.ok(problem(viaApi)[2]?.description);
    const viaConsole = await operator.post('/api/operator/modules', module('Ticket\u0000desk', 2));
    assert.deepEqual(problem(viaConsole).slice(0, 2), [400, 'request.invalid'], JSON.stringify(viaConsole.body));
    const url = await operator.post('/api/operator/modules', { ...module('', 3), launchUrl: 'https://nul.example/\u0000' });
    assert.ok(problem(url)[2]?.launchUrl, JSON.stringify(url.body));
    const lines = await sendApi(server, 'POST', '/api/v1/modules', catalogue, module('Tickets,\nand the desk\tthat takes them', 4));
    assert.equal(lines.status, 201, JSON.stringify(lines.body));
    assert.equal(lines.body.module.description, 'Tickets,\nand the desk\tthat takes them');
  });

  test('a policy allowlist entry and a CSV file of invitations', async () => {
    const policy = await acme.root.agent.post('/api/company/policy', { ipAllowlist: ['10.0.0.0/8\u0000'] });
    assert.deepEqual(problem(policy).slice(0, 2), [400, 'request.invalid'], JSON.stringify(policy.body));
    const csv = await acme.root.agent.post('/api/company/users/bulk-invite', { csv: 'email,username,role\r\nnul@nul.test,nul\u0000user,user\r\n' });
    assert.deepEqual(problem(csv), [400, 'request.invalid', { csv: 'The CSV file contains characters that are not allowed.' }], JSON.stringify(csv.body));
  });

  // The provider's endpoints are oidc-provider's, outside the contract and the error handler:
  // its adapter (src/modules/oidc/adapter.ts, neverStored) answers "not found" for an id
  // carrying a control character before it reaches the database.
  test('the OpenID provider: a client_id or a token carrying a NUL is refused, not a 500', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const probes: Array<[string, string, Record<string, string>, string?]> = [
      ['GET', '/oidc/auth?client_id=a%00b&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fnul.example%2Fcb', {}],
      ['POST', '/oidc/token', form, 'grant_type=client_credentials&client_id=a%00b&client_secret=x'],
      ['POST', '/oidc/token/introspection', form, 'token=a%00b&client_id=a%00b&client_secret=x'],
    ];
    for (const [method, path, headers, body] of probes) {
      const answer = await rawRequest(server.baseUrl, method, path, headers, body);
      assert.ok(answer.status >= 400 && answer.status < 500, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 120)}`);
    }
  });
});

// The last line, for a field that one day reaches PostgreSQL without its rule: the
// database's own refusal, as the driver raises it, is the request's 400; no other.
for (const engine of (await enginesUnderTest()).filter((e) => e === 'postgres')) describe(`a value PostgreSQL cannot hold is the request’s 400, not a 500 (${engine})`, () => {
  let server: TestServer;
  let app: FastifyInstance;
  const refusals = new Map<string, Error>();
  before(async () => {
    server = await startTestServer({ engine });
    const { db } = server.gatehouse.deps;
    const refusal = async (statement: RawBuilder<unknown>) => statement.execute(db).then(() => assert.fail('refused'), (error: Error) => error);
    refusals.set('22021', await refusal(sql`select ${'a\u0000b'}::text`));
    refusals.set('22P05', await refusal(sql`select ${'"\\u0000"'}::jsonb`));
    refusals.set('22P02', await refusal(sql`select ${'not-a-uuid'}::uuid`));
    app = Fastify();
    app.setErrorHandler(handleError);
    app.get('/fails/:code', async (request) => {
      throw refusals.get((request.params as { code: string }).code);
    });
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await server?.close();
  });

  test('22021 (a NUL) and 22P05 (a character the encoding lacks) are 400 request.invalid; 22P02, our own bad cast, stays a 500', async () => {
    for (const code of ['22021', '22P05', '22P02']) assert.equal((refusals.get(code) as Error & { code?: string }).code, code, 'the database refused as expected');
    for (const [code, expected] of [['22021', [400, 'request.invalid']], ['22P05', [400, 'request.invalid']], ['22P02', [500, 'internal']]] as const) {
      const answer = await app.inject({ method: 'GET', url: `/fails/${code}` });
      assert.deepEqual([answer.statusCode, answer.json().error.code], expected, code);
    }
  });
});
