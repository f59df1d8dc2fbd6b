// Ids are UUIDs, read case-insensitively (RFC 9562 §4), and the contract's z.uuid() took
// the capitals of one, but the lookups compared text as sent: an existing user named by
// its id in capitals was answered 404 "Not found." on /api/v1 and in the console, and an
// integration keeping ids in a column that prints them so (SQL Server's uniqueidentifier)
// was told its users were gone. Every id a request carries is now the contract's anId
// (src/contract/fields.ts), which lowercases it as ids are stored; the walk below holds
// every route's fields to it, so the next route is born so. Found by an audit of request
// shapes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { everyRequestField } from '../helpers/route-fields.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const AN_ID = '6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5';
const LOOKS_LIKE_AN_ID = 'zf1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5';

test('every request field that takes an id takes it in capitals and reads it lowercased', async () => {
  const ids: string[] = [];
  const caseBound: string[] = [];
  for (const field of await everyRequestField()) {
    if (!field.schema.safeParse(AN_ID).success) continue;
    // A field of free text (a search, an audit target) or of base64url takes ids among
    // any such text, as it is: an id field refuses what only looks like one.
    if (field.schema.safeParse(LOOKS_LIKE_AN_ID).success) continue;
    const read = field.schema.safeParse(AN_ID.toUpperCase());
    ids.push(field.name);
    if (!read.success || read.data !== AN_ID) caseBound.push(field.name);
  }
  for (const seen of ['GET /api/v1/companies/:companyId/users/:userId params.userId', 'POST /api/company/sso body.breakGlassUserIds[]', 'GET /api/company/audit.csv querystring.shownUser']) {
    assert.ok(ids.includes(seen), `${seen} among ${ids.length} id fields`);
  }
  assert.deepEqual(caseBound, [], 'each id field is anId (src/contract/fields.ts)');
});

describe('an id in capitals names the same record', () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let member: Person;
  let token: string;
  before(async () => {
    server = await startTestServer();
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Upper Case IT', 'root@upper.test');
    member = await invitedMember(server, acme, acme.root.agent, { username: 'upper-member', role: 'user' });
    const made = await apiClient(server, { name: 'Upper sync', scopes: ['users:read', 'users:write'], companyId: acme.companyId });
    token = await tokenFor(server, made.client.clientId, made.clientSecret);
  });
  after(() => server.close());

  test('/api/v1: the user and the company, by ids in capitals', async () => {
    for (const path of [`/api/v1/companies/${acme.companyId}/users/${member.id.toUpperCase()}`, `/api/v1/companies/${acme.companyId.toUpperCase()}/users/${member.id}`]) {
      const answer = await sendApi(server, 'GET', path, token);
      assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.user.id, member.id);
    }
  });

  test('the console: the user by its id in capitals, and a page naming its user so', async () => {
    const upper = await acme.root.agent.get(`/api/company/users/${member.id.toUpperCase()}`, { 'x-gatehouse-user': acme.root.id.toUpperCase() });
    assert.equal(upper.status, 200, JSON.stringify(upper.body));
    assert.equal(upper.body.user.id, member.id);
  });

  test('an Idempotency-Key retry naming the company in capitals is the same request: replayed, not refused', async () => {
    const invite = { email: 'ivy@upper.test', username: 'ivy', role: 'user' };
    const key = { 'idempotency-key': 'ivy-1' };
    const first = await sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/users`, token, invite, key);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const retried = await sendApi(server, 'POST', `/api/v1/companies/${acme.companyId.toUpperCase()}/users`, token, invite, key);
    assert.deepEqual([retried.status, retried.headers.get('idempotent-replayed'), retried.body.user?.id], [201, 'true', first.body.user.id]);
    const otherBody = await sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/users`, token, { ...invite, username: 'ivy2' }, key);
    assert.deepEqual([otherBody.status, otherBody.body.code], [422, 'api.idempotency_key_reused']);
  });
});
