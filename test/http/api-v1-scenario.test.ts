// The MSP scenario through /api/v1 with an independent client: types generated from the
// served GET /api/openapi.json by openapi-typescript, calls made by openapi-fetch. A
// platform API client lists and approves a company's account request; the company's API
// client invites users from CSV, sets the policy, reads the audit trail (page by page, and
// as CSV) and the MFA compliance report, and deactivates a user. Every step is asserted on
// what the API answers, and the trail names the API client as the actor.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import createClient from 'openapi-fetch';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { apiClient, company, tokenFor } from '../helpers/api-clients.ts';
import { csvRecords } from '../helpers/csv.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

// The generated types exist only at run time (written to a temporary file and checked
// below), so the client itself is untyped here; what it may call is asserted against them.
type Untyped = Record<string, any>;
type Problem = { type: string; title: string; status: number; code: string; detail?: string };

const PATHS = [
  '/api/v1/requests',
  '/api/v1/requests/{requestId}/approve',
  '/api/v1/companies/{companyId}/users',
  '/api/v1/companies/{companyId}/users/bulk-invite',
  '/api/v1/companies/{companyId}/users/{userId}/deactivate',
  '/api/v1/companies/{companyId}/policy',
  '/api/v1/companies/{companyId}/audit',
  '/api/v1/companies/{companyId}/audit.csv',
  '/api/v1/companies/{companyId}/compliance',
  '/api/v1/companies/{companyId}/compliance.csv',
];

for (const engine of await enginesUnderTest()) describe(`The MSP scenario through /api/v1 (${engine})`, () => {
  let server: TestServer;
  const clientFor = (token: string) =>
    createClient<Untyped>({ baseUrl: server.baseUrl, headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    server = await startTestServer({ engine });
  });
  after(() => server.close());

  test('the served document generates a client that knows every scenario route', async () => {
    const document = (await (await fetch(new URL('/api/openapi.json', server.baseUrl))).json()) as OpenAPI3;
    const types = astToString(await openapiTS(document));
    const file = path.join(server.database.dataDir, 'api-v1.d.ts');
    writeFileSync(file, types);
    for (const route of PATHS) assert.ok(types.includes(`"${route}": {`), `generated types lack ${route}`);
    assert.match(types, /"idempotency-key"\?: string/);
  });

  test('a platform client approves a request; the company client onboards, sets policy, audits and offboards', async () => {
    // A platform API client, made with the CLI's capability.
    const platform = await apiClient(server, { name: 'PSA onboarding', scopes: ['requests:read', 'requests:write', 'audit:read'], companyId: null });
    const psa = clientFor(await tokenFor(server, platform.client.clientId, platform.clientSecret));

    const submitted = await psa.POST('/api/v1/requests', {
      body: { companyName: 'Harbor Dental', contactName: 'Rosa Pike', email: 'rosa@harbor.test', phone: '+1 555 0199' },
      headers: { 'idempotency-key': 'harbor-dental-1' },
    });
    assert.equal(submitted.response.status, 201, JSON.stringify(submitted.error));
    const requestId = submitted.data.id as string;
    const again = await psa.POST('/api/v1/requests', {
      body: { companyName: 'Harbor Dental', contactName: 'Rosa Pike', email: 'rosa@harbor.test', phone: '+1 555 0199' },
      headers: { 'idempotency-key': 'harbor-dental-1' },
    });
    assert.equal(again.response.status, 201);
    assert.equal(again.response.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.data.id, requestId);

    const pending = await psa.GET('/api/v1/requests', { params: { query: { status: 'pending' } } });
    assert.equal(pending.response.status, 200);
    const listed = (pending.data.requests as Untyped[]).filter((r) => r.companyName === 'Harbor Dental');
    assert.equal(listed.length, 1, 'the repeated create made one request');
    assert.equal(listed[0]?.id, requestId);

    const approval = await psa.POST('/api/v1/requests/{requestId}/approve', { params: { path: { requestId } }, body: { username: 'rosa' } });
    assert.equal(approval.response.status, 200, JSON.stringify(approval.error));
    assert.equal(approval.data.username, 'rosa');
    const companyId = approval.data.companyId as string;
    const welcome = await server.mail.waitFor((m) => m.to.includes('rosa@harbor.test'));
    assert.equal(welcome.subject, 'Welcome to Gatehouse');
    const twice = await psa.POST('/api/v1/requests/{requestId}/approve', { params: { path: { requestId } }, body: {} });
    assert.equal(twice.response.status, 409);
    assert.equal((twice.error as Problem).code, 'request.not_pending');

    // The company's own API client (made for it the same way).
    const own = await apiClient(server, {
      name: 'Harbor RMM',
      scopes: ['users:read', 'users:write', 'policy:read', 'policy:write', 'audit:read'],
      companyId,
    });
    const rmm = clientFor(await tokenFor(server, own.client.clientId, own.clientSecret));
    const company = { params: { path: { companyId } } };

    const csv = ['email,username,role,display name', 'ivy@harbor.test,ivy,user,Ivy Hall', 'max@harbor.test,max,master,Max Roe', 'bad-address,zed,user,'].join('\n');
    const bulk = await rmm.POST('/api/v1/companies/{companyId}/users/bulk-invite', { ...company, body: { csv } });
    assert.equal(bulk.response.status, 200, JSON.stringify(bulk.error));
    assert.equal(bulk.data.invited, 2);
    assert.equal(bulk.data.refused, 1);
    assert.deepEqual((bulk.data.rows as Untyped[]).map((r) => [r.row, r.username, r.status]), [[2, 'ivy', 'invited'], [3, 'max', 'invited'], [4, 'zed', 'refused']]);
    await server.mail.waitFor((m) => m.to.includes('ivy@harbor.test'));

    const invite = { email: 'noor@harbor.test', username: 'noor', role: 'user' };
    const invited = await rmm.POST('/api/v1/companies/{companyId}/users', { ...company, body: invite, headers: { 'idempotency-key': 'noor-1' } });
    assert.equal(invited.response.status, 201, JSON.stringify(invited.error));
    assert.equal(invited.data.user.status, 'invited');
    const retried = await rmm.POST('/api/v1/companies/{companyId}/users', { ...company, body: invite, headers: { 'idempotency-key': 'noor-1' } });
    assert.equal(retried.response.status, 201);
    assert.equal(retried.response.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(retried.data, invited.data);
    const reused = await rmm.POST('/api/v1/companies/{companyId}/users', {
      ...company,
      body: { ...invite, username: 'noor2', email: 'noor2@harbor.test' },
      headers: { 'idempotency-key': 'noor-1' },
    });
    assert.equal(reused.response.status, 422);
    assert.match(reused.response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal((reused.error as Problem).code, 'api.idempotency_key_reused');

    const users = await rmm.GET('/api/v1/companies/{companyId}/users', company);
    const byName = new Map((users.data.users as Untyped[]).map((u) => [u.username, u]));
    assert.deepEqual([...byName.keys()].sort(), ['ivy', 'max', 'noor', 'rosa']);
    assert.equal(byName.get('max')?.role, 'master');

    const policy = await rmm.POST('/api/v1/companies/{companyId}/policy', { ...company, body: { passwordMinLength: 14, twoPerson2faReset: true } });
    assert.equal(policy.response.status, 200, JSON.stringify(policy.error));
    assert.equal(policy.data.policy.passwordMinLength, 14);
    const read = await rmm.GET('/api/v1/companies/{companyId}/policy', company);
    assert.equal(read.data.policy.passwordMinLength, 14);
    assert.equal(read.data.policy.twoPerson2faReset, true);
    const tooShort = await rmm.POST('/api/v1/companies/{companyId}/policy', { ...company, body: { passwordMinLength: 3 } });
    assert.equal(tooShort.response.status, 400);

    // Offboarding: a Master's rights, never over the Root Master.
    const ivy = byName.get('ivy')?.id as string;
    const deactivated = await rmm.POST('/api/v1/companies/{companyId}/users/{userId}/deactivate', { params: { path: { companyId, userId: ivy } } });
    assert.equal(deactivated.response.status, 200, JSON.stringify(deactivated.error));
    const after = await rmm.GET('/api/v1/companies/{companyId}/users', company);
    assert.equal((after.data.users as Untyped[]).find((u) => u.id === ivy)?.status, 'disabled');
    const root = byName.get('rosa')?.id as string;
    const protectedRoot = await rmm.POST('/api/v1/companies/{companyId}/users/{userId}/deactivate', { params: { path: { companyId, userId: root } } });
    assert.equal(protectedRoot.response.status, 403);
    assert.equal((protectedRoot.error as Problem).code, 'user.root_master_protected');

    // The trail, a page at a time with the console's cursor: every change names the client.
    const seen: Untyped[] = [];
    let cursor: string | undefined;
    do {
      const page = await rmm.GET('/api/v1/companies/{companyId}/audit', { params: { path: { companyId }, query: { limit: 2, ...(cursor ? { cursor } : {}) } } });
      assert.equal(page.response.status, 200, JSON.stringify(page.error));
      assert.ok(page.data.events.length <= 2);
      seen.push(...page.data.events);
      cursor = page.data.nextCursor ?? undefined;
    } while (cursor);
    const ids = seen.map((e) => e.id as number);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first, no event twice');
    assert.equal(new Set(ids).size, ids.length);
    const byClient = (action: string) => seen.filter((e) => e.action === action && e.apiClient?.clientId === own.client.clientId && e.actor === null);
    for (const action of ['user.bulk_invited', 'policy.changed', 'user.deactivated']) assert.equal(byClient(action).length, 1, action);
    assert.equal(byClient('user.invited').length, 3, 'two from the file, one alone, none for the replay');
    const approvedEvent = seen.find((e) => e.action === 'company.approved');
    assert.equal(approvedEvent?.apiClient?.clientId, platform.client.clientId);
    assert.equal(approvedEvent?.actor, null);

    const auditCsv = await rmm.GET('/api/v1/companies/{companyId}/audit.csv', { ...company, parseAs: 'text' });
    assert.equal(auditCsv.response.status, 200);
    assert.match(auditCsv.response.headers.get('content-type') ?? '', /^text\/csv/);
    const deactivation = csvRecords(auditCsv.data as string).find((r) => r.action === 'user.deactivated');
    assert.equal(deactivation?.actor_api_client_name, 'Harbor RMM');
    assert.equal(deactivation?.actor_id, '');

    const compliance = await rmm.GET('/api/v1/companies/{companyId}/compliance', company);
    assert.equal(compliance.response.status, 200, JSON.stringify(compliance.error));
    assert.equal(compliance.data.company.name, 'Harbor Dental');
    assert.equal(compliance.data.totals.users, 4);
    assert.equal(compliance.data.totals.enrolled, 0);
    const complianceCsv = await rmm.GET('/api/v1/companies/{companyId}/compliance.csv', { ...company, parseAs: 'text' });
    assert.equal(complianceCsv.response.status, 200);
    assert.deepEqual(csvRecords(complianceCsv.data as string).map((r) => r.username).sort(), ['ivy', 'max', 'noor', 'rosa']);
  });

  test('a company client reaches neither account requests nor another company', async () => {
    const other = await company(server, 'Quay Legal', 'quinn');
    const mine = await company(server, 'Pier Clinic', 'pia');
    const own = await apiClient(server, { scopes: ['users:write', 'policy:write', 'audit:read', 'users:read'], companyId: mine.companyId });
    const rmm = clientFor(await tokenFor(server, own.client.clientId, own.clientSecret));

    const requests = await rmm.GET('/api/v1/requests', {});
    assert.equal(requests.response.status, 403);
    assert.equal((requests.error as Problem).code, 'api.insufficient_scope');

    const theirs = { params: { path: { companyId: other.companyId } } };
    const answers = [
      await rmm.GET('/api/v1/companies/{companyId}/users', theirs),
      await rmm.POST('/api/v1/companies/{companyId}/users', { ...theirs, body: { email: 'x@quay.test', username: 'xavier', role: 'user' } }),
      await rmm.POST('/api/v1/companies/{companyId}/policy', { ...theirs, body: { passwordMinLength: 20 } }),
      await rmm.GET('/api/v1/companies/{companyId}/audit', theirs),
      await rmm.GET('/api/v1/companies/{companyId}/compliance.csv', { ...theirs, parseAs: 'text' }),
    ];
    for (const answer of answers) assert.equal(answer.response.status, 404);
    const quinn = (await server.gatehouse.deps.db.selectFrom('users').select('id').where('company_id', '=', other.companyId).executeTakeFirstOrThrow()).id;
    const offboard = await rmm.POST('/api/v1/companies/{companyId}/users/{userId}/deactivate', { params: { path: { companyId: mine.companyId, userId: quinn } } });
    assert.equal(offboard.response.status, 404, 'another company\'s user id is not found in mine');
    const count = await server.gatehouse.deps.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('company_id', '=', other.companyId).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1);
  });

  test('concurrent creates with one Idempotency-Key run once; a failed create may be retried with its key', async () => {
    const mine = await company(server, 'Dock Works', 'dora');
    const own = await apiClient(server, { scopes: ['users:write', 'users:read'], companyId: mine.companyId });
    const rmm = clientFor(await tokenFor(server, own.client.clientId, own.clientSecret));
    const path = { params: { path: { companyId: mine.companyId } } };
    const body = { email: 'sam@dock.test', username: 'sam', role: 'user' };
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => rmm.POST('/api/v1/companies/{companyId}/users', { ...path, body, headers: { 'idempotency-key': 'sam-once' } })),
    );
    for (const answer of answers) assert.ok([201, 409].includes(answer.response.status), String(answer.response.status));
    const created = answers.filter((a) => a.response.status === 201);
    assert.ok(created.length >= 1);
    assert.equal(new Set(created.map((a) => a.data.user.id)).size, 1);
    for (const busy of answers.filter((a) => a.response.status === 409)) assert.equal((busy.error as Problem).code, 'api.idempotency_in_progress');
    const users = await rmm.GET('/api/v1/companies/{companyId}/users', path);
    assert.equal((users.data.users as Untyped[]).filter((u) => u.username === 'sam').length, 1);

    // A create that failed keeps no answer: the same key and body run again once fixed.
    const taken = { email: 'dora2@dock.test', username: 'dora', role: 'user' };
    const refused = await rmm.POST('/api/v1/companies/{companyId}/users', { ...path, body: taken, headers: { 'idempotency-key': 'dora-again' } });
    assert.equal(refused.response.status, 409);
    const replay = await rmm.POST('/api/v1/companies/{companyId}/users', { ...path, body: taken, headers: { 'idempotency-key': 'dora-again' } });
    assert.equal(replay.response.status, 409);
    assert.equal(replay.response.headers.get('idempotent-replayed'), null);

    // Past 24 hours a key is forgotten: the same key makes a new user.
    server.clock.advance(24 * 3_600_000 + 1);
    const fresh = await tokenFor(server, own.client.clientId, own.clientSecret);
    const later = await clientFor(fresh).POST('/api/v1/companies/{companyId}/users', {
      ...path,
      body: { email: 'tia@dock.test', username: 'tia', role: 'user' },
      headers: { 'idempotency-key': 'sam-once' },
    });
    assert.equal(later.response.status, 201, JSON.stringify(later.error));
    assert.equal(later.data.user.username, 'tia');
  });
});
