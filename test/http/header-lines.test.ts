// A request is read as it was sent, or refused (src/http/header-refusal.ts), on every
// route, the provider's included. Node keeps the first line of a header that may appear
// once and drops the rest: two Authorization lines were served as the first line's client
// (a gateway in front that meters or logs by the last line sees another), two Content-Type
// lines as the first's type. And a body labelled with a content coding (gzip, br) was read
// as if plain: plain JSON so labelled changed a policy, a really gzipped one was told it
// "is not UTF-8". Found by an audit of request shapes.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { apiClient, company, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { rawSocketExchange } from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('header lines a request must not have', () => {
  let server: TestServer;
  let companyId: string;
  let made: Awaited<ReturnType<typeof apiClient>>;
  let token: string;
  let otherToken: string;
  let console_: SignedInCompany;
  before(async () => {
    server = await startTestServer();
    ({ companyId } = await company(server, 'Header Lines IT', 'linesroot'));
    made = await apiClient(server, { name: 'Lines sync', scopes: ['users:read', 'policy:read', 'policy:write'], companyId });
    token = await tokenFor(server, made.client.clientId, made.clientSecret);
    const other = await apiClient(server, { name: 'Other sync', scopes: ['users:read'], companyId });
    otherToken = await tokenFor(server, other.client.clientId, other.clientSecret);
    console_ = await companyWithRootMaster(server, await operatorAgent(server), 'Header Lines Console', 'root@lines.test');
  });
  after(() => server.close());

  const port = () => Number(new URL(server.baseUrl).port);
  const raw = (head: string, body = '') =>
    rawSocketExchange(port(), `${head}\r\nHost: ${new URL(server.baseUrl).host}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const codeIn = (answer: { body: string }) => JSON.parse(answer.body).error?.code ?? JSON.parse(answer.body).code;
  const policyPath = () => `/api/v1/companies/${companyId}/policy`;
  const lockoutMinutes = async () => (await sendApi(server, 'GET', policyPath(), token)).body.policy.lockoutMinutes as number;

  test('two Authorization lines: refused, whichever is valid, not served as the first line\'s client', async () => {
    for (const [first, second] of [[token, 'not-a-token'], [token, otherToken], ['not-a-token', token]]) {
      const answer = await raw(`GET /api/v1/client HTTP/1.1\r\nAuthorization: Bearer ${first}\r\nAuthorization: Bearer ${second}`);
      assert.deepEqual([answer.statusLine, codeIn(answer)], ['HTTP/1.1 400 Bad Request', 'request.header_repeated']);
    }
    // Each alone is served: the refusal is for sending two.
    assert.equal((await sendApi(server, 'GET', '/api/v1/client', token)).status, 200);
    // At the provider's token endpoint too: which client asks must not depend on the line read.
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const form = 'grant_type=client_credentials&scope=users%3Aread';
    const twice = await raw(
      `POST /oidc/token HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: ${basic(made.client.clientId, made.clientSecret)}\r\nAuthorization: ${basic('someone-else', 'x')}`,
      form,
    );
    assert.equal(twice.statusLine, 'HTTP/1.1 400 Bad Request', twice.body);
    assert.doesNotMatch(twice.body, /access_token/);
  });

  test('two Content-Type lines, or another header Node keeps one line of: refused, and nothing changes', async () => {
    const before = await lockoutMinutes();
    const body = JSON.stringify({ lockoutMinutes: before + 3 });
    for (const twice of [
      'Content-Type: application/json\r\nContent-Type: text/plain',
      'Content-Type: application/json\r\nUser-Agent: a\r\nUser-Agent: b',
      // Other single-line headers, and names in another case or with the first line last.
      'Content-Type: application/json\r\nReferer: https://a.test/\r\nREFERER: https://b.test/',
      'Content-Type: application/json\r\nProxy-Authorization: Basic YQ==\r\nproxy-authorization: Basic Yg==',
      'content-type: text/plain\r\nContent-Type: application/json',
    ]) {
      const answer = await raw(`POST ${policyPath()} HTTP/1.1\r\nAuthorization: Bearer ${token}\r\n${twice}`, body);
      assert.deepEqual([answer.statusLine, codeIn(answer)], ['HTTP/1.1 400 Bad Request', 'request.header_repeated'], twice);
    }
    assert.equal(await lockoutMinutes(), before);
  });

  for (const coding of ['gzip', 'br', 'deflate', 'GZIP ', 'identity, gzip']) {
    test(`/api/v1: plain JSON labelled Content-Encoding: ${coding} is 415, and the policy is unchanged`, async () => {
      const before = await lockoutMinutes();
      const answer = await sendApi(server, 'POST', policyPath(), token, { lockoutMinutes: before + 7 }, { 'content-encoding': coding });
      assert.deepEqual([answer.status, answer.body.code], [415, 'request.content_encoding'], JSON.stringify(answer.body));
      assert.equal(await lockoutMinutes(), before);
    });
  }

  test('a really gzipped body is told it is encoded, not that it "is not UTF-8"; identity is read as plain', async () => {
    const gzipped = await fetch(new URL(policyPath(), server.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${token}` },
      body: new Uint8Array(gzipSync(JSON.stringify({ lockoutMinutes: 20 }))),
    });
    assert.deepEqual([gzipped.status, (await gzipped.json()).code], [415, 'request.content_encoding']);
    const plain = await sendApi(server, 'POST', policyPath(), token, { lockoutMinutes: 21 }, { 'content-encoding': 'identity' });
    assert.equal(plain.status, 200, JSON.stringify(plain.body));
  });

  test('the console and the provider: a body labelled gzip is 415 and changes nothing', async () => {
    const agent = console_.root.agent;
    const before = (await agent.get('/api/me/profile')).body.displayName;
    const answer = await agent.post('/api/me/profile', { displayName: 'Coded Name' }, { 'content-encoding': 'gzip' });
    assert.deepEqual([answer.status, answer.body.error?.code], [415, 'request.content_encoding']);
    assert.equal((await agent.get('/api/me/profile')).body.displayName, before);
    const token = await raw(
      `POST /oidc/token HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Encoding: gzip\r\nAuthorization: Basic ${Buffer.from(`${made.client.clientId}:${made.clientSecret}`).toString('base64')}`,
      'grant_type=client_credentials&scope=users%3Aread',
    );
    assert.deepEqual([token.statusLine, codeIn(token)], ['HTTP/1.1 415 Unsupported Media Type', 'request.content_encoding']);
  });

  test('a transfer coding other than chunked is 501, not read through as plain chunks', async () => {
    const before = await lockoutMinutes();
    const body = JSON.stringify({ lockoutMinutes: before + 5 });
    const chunked = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const answer = await rawSocketExchange(
      port(),
      `POST ${policyPath()} HTTP/1.1\r\nHost: ${new URL(server.baseUrl).host}\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${chunked}`,
    );
    assert.deepEqual([answer.statusLine, codeIn(answer)], ['HTTP/1.1 501 Not Implemented', 'request.transfer_coding']);
    assert.equal(await lockoutMinutes(), before);
  });
});
