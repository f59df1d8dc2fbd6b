// A URL's percent-escapes are UTF-8, as a JSON body is (json-body-encoding.test.ts), and
// one whose escapes name bytes that are not UTF-8 is refused with 400 request.not_utf8,
// through every door: a query string's value or key, a path parameter, on the web app's
// API, on /api/v1 (with or without a token), under /oidc and on pages. Before, a query
// string kept such an escape as its raw text ("?q=Caf%E9" searched for "Caf%E9" and
// answered 200; an unknown key was ignored), and the router refused such a path as
// 400 request.invalid. A URL in UTF-8 (escaped in either case, "+" for a space, typed as
// text and escaped by the client) is served as before, and a broken escape ("%zz") is
// not this refusal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { apiClient, company, tokenFor } from '../helpers/api-clients.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawRequest, type RawAnswer } from '../helpers/spellings.ts';

/** Escapes whose bytes are not UTF-8, each in a name (`Caf` + the escape + `e`). */
const NOT_UTF8: [string, string][] = [
  ['a Latin-1 é', '%E9'],
  ['a byte never in UTF-8', '%FF'],
  ['a lead byte with nothing after it', '%C3'],
  ['a lead byte before a plain letter', '%C3x'],
  ['a three-byte sequence cut short', '%E2%82'],
  ['an overlong "/"', '%C0%AF'],
  ['a surrogate encoded as UTF-8 (CESU-8)', '%ED%A0%80'],
  ['a code point past U+10FFFF', '%F4%90%80%80'],
  ['a lower-case bad escape', '%ed%a0%80'],
];

const NAME = 'Crème Brûlée IT';

/** The error code in either shape: the web app's `{ error: { code } }`, or /api/v1's problem details. */
const codeOf = (answer: RawAnswer): string | undefined => answer.body?.error?.code ?? answer.body?.code;

describe('percent-escapes in a URL are UTF-8', () => {
  let server: TestServer;
  let operator: Agent;
  let token: string;
  let companyId: string;
  before(async () => {
    server = await startTestServer({});
    operator = (await signedInOperator(server)).agent;
    companyId = (await company(server, NAME, 'creme')).companyId;
    const { client, clientSecret } = await apiClient(server, { name: 'Escapes', scopes: ['companies:read', 'users:read', 'requests:read'], companyId: null });
    token = await tokenFor(server, client.clientId, clientSecret);
  });
  after(() => server.close());

  const asOperator = (path: string, method = 'GET', body?: string) =>
    rawRequest(server.baseUrl, method, path, { origin: server.baseUrl, cookie: operator.cookieHeader(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body);
  const asClient = (path: string) => rawRequest(server.baseUrl, 'GET', path, { authorization: `Bearer ${token}` });
  const anonymous = (path: string) => rawRequest(server.baseUrl, 'GET', path, { origin: server.baseUrl });

  /** Every door, with `bad` (an escape) in it: the answer each gets. */
  const doors = (bad: string): [string, () => Promise<RawAnswer>][] => [
    ['web API, a query value', () => asOperator(`/api/operator/companies?q=Caf${bad}e`)],
    ['web API, a query key', () => asOperator(`/api/operator/companies?Caf${bad}e=1`)],
    ['web API, a cursor', () => asOperator(`/api/operator/requests?status=all&cursor=${bad}`)],
    ['web API, a path parameter', () => asOperator(`/api/operator/mail/Caf${bad}e`)],
    ['web API, a path parameter, anonymously', () => anonymous(`/api/signup/Caf${bad}e`)],
    ['web API, a POST with its query', () => asOperator(`/api/operator/requests?x=${bad}`, 'POST', '{}')],
    ['/api/v1, a cursor', () => asClient(`/api/v1/companies?cursor=${bad}`)],
    ['/api/v1, a parameter it does not read', () => asClient(`/api/v1/companies?x=Caf${bad}e`)],
    ['/api/v1, a path parameter', () => asClient(`/api/v1/companies/${bad}/users`)],
    ['/api/v1, a second path parameter', () => asClient(`/api/v1/companies/${companyId}/users/Caf${bad}e`)],
    ['/api/v1, a query, without a token', () => anonymous(`/api/v1/companies?x=${bad}`)],
    ['/api/v1, a path, without a token', () => anonymous(`/api/v1/companies/${bad}/users`)],
    ['/oidc, the authorization request', () => anonymous(`/oidc/auth?client_id=x&response_type=code&scope=openid&state=Caf${bad}e`)],
    ['/oidc, a path', () => anonymous(`/oidc/Caf${bad}e`)],
    ['a page, its query', () => anonymous(`/login?x=${bad}`)],
    ['no route, its query', () => anonymous(`/nothing-here?x=${bad}`)],
  ];

  for (const [name, bad] of NOT_UTF8) {
    test(`${name} (${bad}) is 400 request.not_utf8, through every door`, async () => {
      for (const [door, send] of doors(bad)) {
        const answer = await send();
        assert.deepEqual([answer.status, codeOf(answer)], [400, 'request.not_utf8'], `${door}: ${JSON.stringify(answer.body).slice(0, 200)}`);
        if (door.startsWith('/api/v1')) assert.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8', door);
        if (door.includes('API')) assert.equal(answer.headers['cache-control'], 'no-store', door);
      }
    });
  }

  test('escapes of UTF-8 text are read as that text', async () => {
    const found = async (query: string) => {
      const answer = await asOperator(`/api/operator/companies?${query}`);
      assert.equal(answer.status, 200, `${query}: ${JSON.stringify(answer.body)}`);
      return answer.body.companies.map((c: { name: string }) => c.name);
    };
    for (const query of ['q=Cr%C3%A8me', 'q=cr%c3%a8me', 'q=Cr%C3%A8me+Br%C3%BBl%C3%A9e', 'q=Cr%C3%A8me%20Br%C3%BBl%C3%A9e', `q=${encodeURIComponent('Brûlée')}`, `q=${encodeURIComponent(NAME)}&limit=5`]) {
      assert.deepEqual(await found(query), [NAME], query);
    }
    // Four bytes (a character beyond the BMP), U+FFFD written as itself, and the highest
    // code point: UTF-8, so served, and nothing is named so.
    for (const query of ['q=%F0%9F%90%8E', 'q=%EF%BF%BD', 'q=%F4%8F%BF%BF', 'q=%25FF', 'q=%25ED%25A0%2580']) {
      assert.deepEqual(await found(query), [], query);
    }
    // A client given the text itself escapes it (fetch writes é as %C3%A9).
    const typed = await operator.get(`/api/operator/companies?q=${'Crème'}`);
    assert.deepEqual([typed.status, typed.body.companies.map((c: { name: string }) => c.name)], [200, [NAME]]);
  });

  test('UTF-8 escapes in a path, /api/v1 and /oidc are served as before', async () => {
    const one = await asClient(`/api/v1/companies/${companyId}`);
    assert.deepEqual([one.status, one.body.company?.name], [200, NAME]);
    // A query the operation does not take is read as UTF-8 and refused by its decoded name.
    const named = await asClient(`/api/v1/companies/${companyId}?Cr%C3%A8me=%F0%9F%90%8E`);
    assert.deepEqual([named.status, codeOf(named), Object.keys(named.body.fields ?? {})], [400, 'request.invalid', ['Crème']]);
    const unknown = await asClient('/api/v1/companies/Cr%C3%A8me/users');
    assert.notEqual(codeOf(unknown), 'request.not_utf8');
    assert.ok(unknown.status >= 400 && unknown.status < 500, String(unknown.status));
    const mail = await asOperator('/api/operator/mail/%F0%9F%90%8E');
    assert.notEqual(codeOf(mail), 'request.not_utf8');
    assert.ok(mail.status >= 400 && mail.status < 500, String(mail.status));
    const discovery = await anonymous('/oidc/.well-known/openid-configuration?x=Cr%C3%A8me');
    assert.equal(discovery.status, 200);
    assert.equal(discovery.body.issuer, `${server.baseUrl}/oidc`);
  });

  test('a broken escape is no UTF-8 refusal: the router refuses it in a path, a query keeps it', async () => {
    for (const path of ['/api/operator/mail/%zz', '/api/operator/mail/%', '/api/v1/companies/%G0/users']) {
      const answer = path.startsWith('/api/v1') ? await asClient(path) : await asOperator(path);
      assert.deepEqual([answer.status, codeOf(answer)], [400, 'request.invalid'], path);
    }
    const query = await asOperator('/api/operator/companies?q=%zz');
    assert.deepEqual([query.status, query.body.companies], [200, []]);
  });

  test('a refused URL changes nothing', async () => {
    const requests = async () => (await server.gatehouse.deps.db.selectFrom('account_requests').select('id').execute()).length;
    const before = await requests();
    const body = JSON.stringify({ companyName: 'Escaped Co', contactName: 'Ann', email: 'ann@escaped.test', phone: '+1 555 0100' });
    for (const path of ['/api/account-requests?ref=%FF', '/api/account-requests?ref=%C0%AF&x=1']) {
      const answer = await rawRequest(server.baseUrl, 'POST', path, { origin: server.baseUrl, 'content-type': 'application/json' }, body);
      assert.deepEqual([answer.status, codeOf(answer)], [400, 'request.not_utf8'], path);
    }
    assert.equal(await requests(), before);
  });
});
