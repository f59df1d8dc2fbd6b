// A JSON body is UTF-8 (RFC 8259 §8.1), and one that is not is refused, never read with
// its bad bytes replaced. Fastify's parser decoded bodies leniently: "Café" sent as
// Latin-1 was saved as "Caf\uFFFD Co" with a 201, and a charset naming another encoding
// was ignored. Each malformed spelling below (a lone Latin-1 byte, an overlong encoding, an
// encoded surrogate, a sequence cut short) is 400 request.not_utf8 with nothing saved; a
// charset other than UTF-8 is 415; UTF-8, named or not, is read as sent (utf8JsonBodies,
// src/http/json-body.ts), as is a JSON escape of a lone surrogate, which JSON.parse kept
// and the database wrote as U+FFFD. The same on the web app's API and on /api/v1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, tokenFor } from '../helpers/api-clients.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const NOT_UTF8: [string, number[]][] = [
  ['a Latin-1 é', [0xe9]],
  ['an overlong "/"', [0xc0, 0xaf]],
  ['a surrogate encoded as UTF-8', [0xed, 0xa0, 0x80]],
  ['a three-byte sequence cut short', [0xe2, 0x82]],
  ['a byte never in UTF-8', [0xff]],
];
const OTHER_CHARSETS = ['utf-16', 'UTF-16LE', '"iso-8859-1"', 'windows-1252', 'us-ascii'];
const UTF8_SPELLINGS = ['application/json', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/json; charset=utf8'];

/** A request body with `bytes` inside the company name's string. */
function requestBody(name: Buffer | string, email: string): Uint8Array {
  return Buffer.concat([Buffer.from('{"companyName":"'), Buffer.isBuffer(name) ? name : Buffer.from(name, 'utf8'), Buffer.from(`","contactName":"Ann","email":"${email}","phone":"+1 555 0100"}`)]);
}

describe('JSON bodies are UTF-8', () => {
  let server: TestServer;
  let token: string;
  let seq = 0;
  before(async () => {
    server = await startTestServer({});
    const { client, clientSecret } = await apiClient(server, { name: 'Onboarding', scopes: ['requests:read', 'requests:write'], companyId: null });
    token = await tokenFor(server, client.clientId, clientSecret);
  });
  after(() => server.close());

  const savedNames = async () => (await server.gatehouse.deps.db.selectFrom('account_requests').select('company_name').execute()).map((row) => row.company_name);
  /** The public form's route and the API client's, each sent `body` with `contentType`. */
  async function sentBoth(contentType: string, body: (email: string, route: 'web' | 'api') => Uint8Array) {
    const origin = new URL(server.baseUrl).origin;
    seq += 1;
    const web = await fetch(`${server.baseUrl}/api/account-requests`, { method: 'POST', headers: { 'content-type': contentType, origin }, body: new Uint8Array(body(`web${seq}@enc.test`, 'web')) });
    const api = await fetch(`${server.baseUrl}/api/v1/requests`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${token}` }, body: new Uint8Array(body(`api${seq}@enc.test`, 'api')) });
    return [
      { route: 'web', status: web.status, body: await web.json() },
      { route: 'api/v1', status: api.status, body: await api.json() },
    ];
  }
  const codeOf = (answer: { route: string; body: any }) => (answer.route === 'web' ? answer.body.error?.code : answer.body.code);

  for (const [name, bytes] of NOT_UTF8) {
    test(`a body with ${name} is refused, and nothing is saved`, async () => {
      const before = await savedNames();
      for (const answer of await sentBoth('application/json', (email) => requestBody(Buffer.concat([Buffer.from(`Bad ${seq} Caf`), Buffer.from(bytes), Buffer.from(' Co')]), email))) {
        assert.equal(answer.status, 400, `${answer.route}: ${JSON.stringify(answer.body)}`);
        assert.equal(codeOf(answer), 'request.not_utf8', `${answer.route}: ${JSON.stringify(answer.body)}`);
      }
      assert.deepEqual(await savedNames(), before);
    });
  }

  for (const charset of OTHER_CHARSETS) {
    test(`charset=${charset} is refused as a media type the API does not read`, async () => {
      for (const answer of await sentBoth(`application/json; charset=${charset}`, (email) => requestBody(`Charset ${seq} Co`, email))) {
        assert.equal(answer.status, 415, `${answer.route}: ${JSON.stringify(answer.body)}`);
        assert.equal(codeOf(answer), 'request.unsupported_media_type');
      }
    });
  }

  test('UTF-8, with or without its charset named, is read as sent', async () => {
    for (const [index, contentType] of UTF8_SPELLINGS.entries()) {
      const name = `Café Ünïcode ${index} Co`;
      // Two pending requests may not share a name: each route's gets its own.
      for (const answer of await sentBoth(contentType, (email, route) => requestBody(`${name} ${route}`, email))) {
        assert.equal(answer.status, 201, `${contentType} ${answer.route}: ${JSON.stringify(answer.body)}`);
      }
    }
    const saved = await savedNames();
    for (const index of UTF8_SPELLINGS.keys()) {
      assert.ok(saved.includes(`Café Ünïcode ${index} Co web`) && saved.includes(`Café Ünïcode ${index} Co api`), JSON.stringify(saved));
    }
  });

  // The same loss through a JSON escape: a lone surrogate, which JSON.parse keeps and the
  // database wrote as U+FFFD. In a value, a nested one, an array, a key.
  for (const [where, body] of [
    ['a note', (email: string) => `{"companyName":"Lone ${seq} Co","contactName":"Ann","email":"${email}","phone":"+1 555 0100","note":"Caf\\udce9 order"}`],
    ['a high surrogate at the end', (email: string) => `{"companyName":"Lone ${seq} Co","contactName":"Ann","email":"${email}","phone":"+1 555 0100","note":"end \\ud83d"}`],
    ['a key', (email: string) => `{"companyName":"Lone ${seq} Co","contactName":"Ann","email":"${email}","phone":"+1 555 0100","\\udce9":"x"}`],
  ] as const) {
    test(`a lone surrogate escaped in ${where} is refused, and nothing is saved`, async () => {
      const before = await savedNames();
      for (const answer of await sentBoth('application/json', (email) => Buffer.from(body(email)))) {
        assert.equal(answer.status, 400, `${answer.route}: ${JSON.stringify(answer.body)}`);
        assert.equal(codeOf(answer), 'request.not_utf8', `${answer.route}: ${JSON.stringify(answer.body)}`);
      }
      assert.deepEqual(await savedNames(), before);
    });
  }

  test('an escaped pair that makes one character is read as that character', async () => {
    for (const answer of await sentBoth('application/json', (email, route) => Buffer.from(`{"companyName":"Emoji ${route} Co","contactName":"Ann","email":"${email}","phone":"+1 555 0100","note":"ok \\ud83d\\ude00"}`))) {
      assert.equal(answer.status, 201, `${answer.route}: ${JSON.stringify(answer.body)}`);
    }
  });

  test('prototype keys are still refused', async () => {
    for (const answer of await sentBoth('application/json', (email) => Buffer.from(`{"__proto__":{"x":1},"companyName":"Proto Co","contactName":"Ann","email":"${email}","phone":"+1 555 0100"}`))) {
      assert.equal(answer.status, 400, `${answer.route}: ${JSON.stringify(answer.body)}`);
    }
  });
});

