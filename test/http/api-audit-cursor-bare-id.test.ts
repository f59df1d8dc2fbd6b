// docs/API.md, Pagination: a cursor that is not one (forged, cut short, another company's,
// another list's or filter's) is 400 request.invalid with fields.cursor, never read as
// another position. The audit trail read a bare event id as a cursor (an earlier release's
// form), unsealed: any number naming one of the company's events was taken, whatever the
// filter, so a made-up or cut-short one ("12" for "123") was read as a place and a sync
// skipped the events between. Only sealed cursors are read now (src/http/api-cursors.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, callApi, company, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('/api/v1 audit: a bare number is no cursor of a filtered trail', () => {
  let server: TestServer;
  let companyId: string;
  let token: string;
  const audit = () => `/api/v1/companies/${companyId}/audit`;

  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    companyId = (await company(server, 'Alpha Support', 'alma')).companyId;
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read', 'users:write', 'audit:read'], companyId });
    token = await tokenFor(server, client.clientId, clientSecret);
    for (const name of ['amy', 'bob', 'cat']) {
      const made = await sendApi(server, 'POST', `/api/v1/companies/${companyId}/users`, token, { email: `${name}@alpha.test`, username: name, role: 'user' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
  });
  after(() => server.close());

  test('an event id never issued as a cursor of the invitations trail is refused, not read as a position in it', async () => {
    const trail = await callApi(server, `${audit()}?limit=100`, token);
    const other = trail.body.events.find((e: { action: string }) => e.action !== 'user.invited');
    assert.ok(other, 'the trail holds an event the filter leaves out');
    const forged = await callApi(server, `${audit()}?action=user.invited&limit=2&cursor=${other.id}`, token);
    assert.equal(forged.status, 400, `read as a position: ${JSON.stringify(forged.body).slice(0, 300)}`);
    assert.equal(forged.body.code, 'request.invalid');
    assert.ok(forged.body.fields?.cursor);
  });

  test('a bare event id is refused even where the filter holds that event', async () => {
    const invites = await callApi(server, `${audit()}?action=user.invited&limit=100`, token);
    const [newest] = invites.body.events as Array<{ id: string }>;
    assert.ok(newest);
    const bare = await callApi(server, `${audit()}?action=user.invited&limit=1&cursor=${newest.id}`, token);
    assert.equal(bare.status, 400, JSON.stringify(bare.body).slice(0, 300));
    assert.ok(bare.body.fields?.cursor);
    // The cursor the API gave is what walks the trail.
    const first = await callApi(server, `${audit()}?action=user.invited&limit=1`, token);
    const next = await callApi(server, `${audit()}?action=user.invited&limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`, token);
    assert.equal(next.status, 200);
    assert.equal(next.body.events[0].action, 'user.invited');
  });
});
