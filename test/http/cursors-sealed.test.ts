// docs/API.md, Pagination: "a cursor that is not one (forged, cut short, another list's, …)
// is 400 request.invalid with fields.cursor". A cursor carries only the last item's key
// (a username; a time and an event id), with nothing binding it to its list or telling a
// whole one from a cut one: a cursor cut short, or another company's, is read as a position,
// and an automation tool is answered a wrong page instead of an error. On the audit trail a
// cursor cut by one character silently ended the trail (nextCursor null, events skipped), and
// the pending requests' cursor (oldest first) was read by the newest-first lists of requests.
// Cursors are now sealed to their list, company and filters by a keyed hash
// (src/http/api-cursors.ts). Found by an audit of the admin API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, callApi, company, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('/api/v1 cursors: only a whole cursor of the same list is a position', () => {
  let server: TestServer;
  let alpha: string;
  let beta: string;
  let alphaToken: string;
  let platformToken: string;
  const users = (companyId: string) => `/api/v1/companies/${companyId}/users`;
  const audit = (companyId: string) => `/api/v1/companies/${companyId}/audit`;
  const refusedCursor = (answer: Awaited<ReturnType<typeof callApi>>, what: string) => {
    assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body).slice(0, 400)}`);
    assert.equal(answer.body.code, 'request.invalid');
    assert.ok(answer.body.fields?.cursor);
  };

  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    alpha = (await company(server, 'Alpha Support', 'alma')).companyId;
    beta = (await company(server, 'Beta Systems', 'bert')).companyId;
    const own = await apiClient(server, { scopes: ['users:read', 'users:write', 'audit:read'], companyId: alpha });
    alphaToken = await tokenFor(server, own.client.clientId, own.clientSecret);
    const platform = await apiClient(server, { scopes: ['users:read', 'audit:read', 'requests:read', 'requests:write'], companyId: null });
    platformToken = await tokenFor(server, platform.client.clientId, platform.clientSecret);
    for (const name of ['amy', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal']) {
      const made = await sendApi(server, 'POST', users(alpha), alphaToken, { email: `${name}@alpha.test`, username: name, role: 'user' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
  });
  after(() => server.close());

  test('a cursor cut short by one character is refused, not read as another position', async () => {
    const trail = await callApi(server, `${audit(alpha)}?limit=2`, alphaToken);
    assert.equal(trail.status, 200);
    const auditCursor: string = trail.body.nextCursor;
    assert.ok(auditCursor, 'older events remain');
    const cut = auditCursor.slice(0, -1);
    // Compared as bytes: the sealed cursor's bytes read as text lose a cut-off UTF-8 sequence
    // to the same U+FFFD either way, which made this check fail for some cursors.
    assert.notDeepEqual(Buffer.from(cut, 'base64url'), Buffer.from(auditCursor, 'base64url'));
    refusedCursor(await callApi(server, `${audit(alpha)}?limit=2&cursor=${cut}`, alphaToken), `audit cursor ${auditCursor} cut short`);

    const page = await callApi(server, `${users(alpha)}?limit=2`, alphaToken);
    assert.deepEqual(page.body.users.map((u: { username: string }) => u.username), ['alma', 'amy']);
    const cursor: string = page.body.nextCursor;
    refusedCursor(await callApi(server, `${users(alpha)}?limit=2&cursor=${cursor.slice(0, -1)}`, alphaToken), `user cursor ${cursor} cut short`);
  });

  test("another company's cursor is refused on this company's list", async () => {
    const page = await callApi(server, `${users(alpha)}?limit=2`, platformToken);
    refusedCursor(await callApi(server, `${users(beta)}?cursor=${page.body.nextCursor}`, platformToken), "alpha's user cursor on beta's users");
    const trail = await callApi(server, `${audit(alpha)}?limit=2`, platformToken);
    refusedCursor(await callApi(server, `${audit(beta)}?cursor=${trail.body.nextCursor}`, platformToken), "alpha's audit cursor on beta's trail");
  });

  test('a cursor of the pending requests (oldest first) is no position in every request (newest first)', async () => {
    for (const name of ['Gamma', 'Delta', 'Omega']) {
      const made = await sendApi(server, 'POST', '/api/v1/requests', platformToken, { companyName: `${name} Works`, contactName: 'Pat Doe', email: `pat@${name.toLowerCase()}.test`, phone: '+1 555 0100' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
    const pending = await callApi(server, '/api/v1/requests?status=pending&limit=1', platformToken);
    assert.ok(pending.body.nextCursor, 'more pending requests');
    // Paged in the other direction, the pending list's cursor lands anywhere (here: an empty last page).
    refusedCursor(await callApi(server, `/api/v1/requests?status=all&cursor=${pending.body.nextCursor}`, platformToken), 'pending cursor on status=all');
  });

  test("a cursor of one audit filter is no position in another's, and a cut one anywhere in it is refused", async () => {
    const first = await callApi(server, `${audit(alpha)}?limit=1`, alphaToken);
    const cursor = first.body.nextCursor as string;
    assert.ok(cursor, JSON.stringify(first.body));
    assert.equal((await callApi(server, `${audit(alpha)}?limit=1&cursor=${cursor}`, alphaToken)).status, 200);
    const otherFilter = await callApi(server, `${audit(alpha)}?limit=1&action=user.invited&cursor=${cursor}`, alphaToken);
    assert.deepEqual([otherFilter.status, Object.keys(otherFilter.body.fields ?? {})], [400, ['cursor']]);
    const changed = `${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`;
    for (const cut of [cursor.slice(1), cursor.slice(0, 10), changed]) {
      const answer = await callApi(server, `${audit(alpha)}?limit=1&cursor=${cut}`, alphaToken);
      assert.deepEqual([answer.status, Object.keys(answer.body.fields ?? {})], [400, ['cursor']], cut);
    }
  });
});
