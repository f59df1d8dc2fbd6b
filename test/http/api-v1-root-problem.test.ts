// /api/v1 answers RFC 9457 problem details on every path beneath it, and on /api/v1 itself
// (with or without a query): the test of "under /api/v1" is one (route-guards.ts isUnder),
// shared by the guards and the error handler, which once tested a prefix with a slash.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sendApi } from '../helpers/api-clients.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('/api/v1 itself answers problem details', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
  });
  after(() => server.close());

  test('GET /api/v1 and /api/v1?… are 404 problem details, as /api/v1/ is', async () => {
    for (const path of ['/api/v1/', '/api/v1', '/api/v1?limit=1']) {
      const answer = await sendApi(server, 'GET', path, undefined);
      assert.equal(answer.status, 404, path);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/, path);
      assert.equal(answer.body.code, 'request.not_found', path);
    }
  });
});
