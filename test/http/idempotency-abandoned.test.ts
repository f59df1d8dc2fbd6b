// A create whose run never finished (the node stopped mid-run: its key row has no answer)
// does not hold its Idempotency-Key for 24 hours: a repeat is told to try again while the
// run could still be going, then takes the key over and runs, once however many repeats
// arrive together, and its answer is what later repeats replay.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, company, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { ABANDONED_AFTER_MS } from '../../src/api-clients/idempotency.ts';
import { caseKey, nameKey } from '../../src/shared/text.ts';

for (const engine of await enginesUnderTest()) describe(`an Idempotency-Key left by a run that never finished (${engine})`, () => {
  let server: TestServer;
  let companyId: string;
  let token: string;
  let clientRowId: string;
  const usersPath = () => `/api/v1/companies/${companyId}/users`;
  const invite = (key: string, username: string) =>
    sendApi(server, 'POST', usersPath(), token, { email: `${username}@alpha.test`, username, role: 'user' }, { 'idempotency-key': key });

  before(async () => {
    server = await startTestServer({ engine });
    companyId = (await company(server, 'Alpha Support', 'alma')).companyId;
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read', 'users:write'], companyId });
    clientRowId = client.id;
    token = await tokenFor(server, client.clientId, clientSecret);
  });
  after(() => server.close());

  /** What a run cut off mid-way leaves: the key's row, with no answer, as its first request made it. */
  async function abandonedRun(key: string, username: string) {
    // The first request itself writes the row; its answer is then taken away, as if never stored.
    assert.equal((await invite(key, username)).status, 201);
    const { db } = server.gatehouse.deps;
    await db.updateTable('idempotency_keys').set({ response_status: null, response_body: null }).where('api_client_id', '=', clientRowId).where('key', '=', key).execute();
    // ...and the user it made renamed out of the way, as if the run stopped before its work committed.
    const moved = `${username}-before`;
    await db
      .updateTable('users')
      .set({ username: moved, username_key: nameKey(moved), case_key: caseKey(moved) })
      .where('company_id', '=', companyId)
      .where('username', '=', username)
      .execute();
  }

  test('a repeat is told to try again while the run may be going, then runs, and is replayed after', async () => {
    await abandonedRun('vera-1', 'vera');
    const soon = await invite('vera-1', 'vera');
    assert.equal(soon.status, 409, JSON.stringify(soon.body));
    assert.equal(soon.body.code, 'api.idempotency_in_progress');

    server.clock.advance(ABANDONED_AFTER_MS);
    const later = await invite('vera-1', 'vera');
    assert.equal(later.status, 201, JSON.stringify(later.body));
    assert.equal(later.headers.get('idempotent-replayed'), null);
    assert.equal(later.body.user.username, 'vera');

    const replay = await invite('vera-1', 'vera');
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.body.user.id, later.body.user.id);
    // The same key with another body is still refused.
    assert.equal((await invite('vera-1', 'vince')).body.code, 'api.idempotency_key_reused');
  });

  test('many repeats at once after the run was abandoned: one runs, one user is made', async () => {
    await abandonedRun('walt-1', 'walt');
    server.clock.advance(ABANDONED_AFTER_MS);
    const answers = await Promise.all(Array.from({ length: 8 }, () => invite('walt-1', 'walt')));
    const made = answers.filter((a) => a.status === 201 && a.headers.get('idempotent-replayed') === null);
    assert.equal(made.length, 1, JSON.stringify(answers.map((a) => [a.status, a.body.code])));
    for (const other of answers.filter((a) => !made.includes(a))) {
      assert.ok(other.status === 409 ? other.body.code === 'api.idempotency_in_progress' : other.headers.get('idempotent-replayed') === 'true', JSON.stringify(other.body));
    }
    const rows = await server.gatehouse.deps.db.selectFrom('users').select('id').where('company_id', '=', companyId).where('username', '=', 'walt').execute();
    assert.equal(rows.length, 1);
  });

  test('an abandoned run that did make its user: the repeat meets that user and makes no second', async () => {
    assert.equal((await invite('xena-1', 'xena')).status, 201);
    const { db } = server.gatehouse.deps;
    await db.updateTable('idempotency_keys').set({ response_status: null, response_body: null }).where('api_client_id', '=', clientRowId).where('key', '=', 'xena-1').execute();
    server.clock.advance(ABANDONED_AFTER_MS);
    const repeat = await invite('xena-1', 'xena');
    assert.equal(repeat.status, 409, JSON.stringify(repeat.body));
    assert.notEqual(repeat.body.code, 'api.idempotency_in_progress');
    const rows = await db.selectFrom('users').select('id').where('company_id', '=', companyId).where('username', '=', 'xena').execute();
    assert.equal(rows.length, 1);
  });
});
