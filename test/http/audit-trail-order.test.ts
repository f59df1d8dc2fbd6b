// The trail is read newest first by time (docs/API.md, Audit and compliance). It was
// ordered and paged by event id, while an event's time is the clock its change read when
// it began, before it waited for its locks: on PostgreSQL, invitations of one company
// queue on the company's row (lockInvitingCompany) after reading the clock, so an event
// that waited took a later id with an earlier time, and the trail, read newest first, went
// back and forth in time. It is now ordered and paged by (time, id) (queryAudit,
// src/audit/query.ts; auditCursor, src/http/api-cursors.ts). Pages of any size give every
// event once, in that order; a cursor of the earlier release (an event id) still pages on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callApi, clientToken, company, sendApi } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

type Listed = { id: number; time: string; action: string };

for (const engine of await enginesUnderTest()) describe(`the audit trail's order under concurrent changes (${engine})`, () => {
  let server: TestServer;
  let companyId: string;
  let token: string;
  const INVITES = 40;
  before(async () => {
    server = await startTestServer({ engine, realClock: true, env: { GATEHOUSE_API_RATE_LIMIT: '100000' } });
    companyId = (await company(server, 'Order Company', 'orderroot')).companyId;
    token = await clientToken(server, { scopes: ['users:write', 'audit:read'], companyId });
    // At once: on PostgreSQL they queue on the company's row, each with the time it began.
    const answers = await Promise.all(
      Array.from({ length: INVITES }, (_, n) => sendApi(server, 'POST', `/api/v1/companies/${companyId}/users`, token, { email: `person${n}@order.test`, username: `person${n}`, role: 'user' })),
    );
    assert.ok(answers.every((a) => a.status === 201), JSON.stringify(answers.find((a) => a.status !== 201)?.body));
  });
  after(() => server.close());

  const audit = (query: string) => callApi(server, `/api/v1/companies/${companyId}/audit?action=user.invited&${query}`, token);
  const inTimeOrder = (events: Listed[]) =>
    events.slice(1).flatMap((older, k) => {
      const newer = events[k] as Listed;
      return Date.parse(newer.time) < Date.parse(older.time) ? [`#${newer.id} ${newer.time} listed before #${older.id} ${older.time}`] : [];
    });

  test('newest first never goes forward in time', async () => {
    const page = await audit('limit=500');
    assert.equal(page.status, 200);
    const events = page.body.events as Listed[];
    assert.equal(events.length, INVITES);
    assert.deepEqual(inTimeOrder(events), [], 'an event listed as newer has an earlier time');
  });

  test('pages of any size give every event once, in the same order; so does the CSV', async () => {
    const whole = ((await audit('limit=500')).body.events as Listed[]).map((e) => e.id);
    for (const limit of [1, 7, 13]) {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await audit(`limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        seen.push(...(page.body.events as Listed[]).map((e) => e.id));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(seen, whole, `pages of ${limit}`);
    }
  });

  test("an earlier release's cursor (a bare event id) is refused like a forged one: the walk starts again", async () => {
    const events = (await audit('limit=500')).body.events as Listed[];
    const fifth = events[4] as Listed;
    // Unsealed, it names no filter and cannot tell a cut-short id from a real one (api-audit-cursor-bare-id.test.ts).
    for (const forged of [String(fifth.id), 'YTox', 'a:1:2', '999999999', 'not a cursor!']) {
      const refused = await audit(`limit=3&cursor=${encodeURIComponent(forged)}`);
      assert.equal(refused.status, 400, `${forged}: ${JSON.stringify(refused.body)}`);
    }
  });
});
