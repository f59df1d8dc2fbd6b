// Groups over HTTP, on both engines: a company's Masters create, rename and delete groups,
// add and remove members and choose each group's modules; the launcher follows; another
// company's group, user and module ids are "not found"; every change is audited; the
// identity-provider sync (replaceMembershipsByGroupNames) creates nothing; /api/v1 has the
// same under users:read and users:write.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { apiClient, callApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { storedTestModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { grantModule } from '../../src/modules/index.ts';
import { replaceMembershipsByGroupNames } from '../../src/groups/index.ts';

const MISSING = '00000000-0000-4000-8000-000000000000';

for (const engine of await enginesUnderTest()) describe(`groups (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let globex: SignedInCompany;
  let root: Agent;
  let operator: Agent;
  let uma: Person; // a User of Acme
  let gil: Person; // a User of Globex
  let ticketing: { id: string };
  let wiki: { id: string };
  let globexOnly: { id: string };

  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Acme <Groups>', 'root@acme-groups.test');
    globex = await companyWithRootMaster(server, operator, 'Globex Groups', 'root@globex-groups.test');
    root = acme.root.agent;
    uma = await invitedMember(server, acme, root, { username: 'uma', role: 'user' });
    gil = await invitedMember(server, globex, globex.root.agent, { username: 'gil', role: 'user' });
    const { deps } = server.gatehouse;
    const stored = async (name: string, companyId: string) => {
      const { module } = await storedTestModule(server);
      await deps.db.updateTable('modules').set({ name }).where('id', '=', module.id).execute();
      await grantModule(deps.db, companyId, module.id, deps.clock());
      return module;
    };
    ticketing = await stored('Ticketing', acme.companyId);
    wiki = await stored('Wiki', acme.companyId);
    globexOnly = await stored('Globex Wiki', globex.companyId);
  });
  after(() => server.close());

  const launcher = async (agent: Agent) => {
    const answer = await agent.get('/api/modules');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return (answer.body.modules as { name: string }[]).map((m) => m.name).sort();
  };
  const groups = async (agent: Agent = root) => {
    const answer = await agent.get('/api/company/groups');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.groups as { id: string; name: string; members: { username: string }[]; modules: { name: string }[] }[];
  };
  const create = async (name: string, agent: Agent = root) => {
    const answer = await agent.post('/api/company/groups', { name });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return answer.body.group as { id: string; name: string };
  };
  const actions = async (companyId: string, prefix = 'group.') =>
    (await dbOf(server).selectFrom('audit_events').select(['action', 'detail']).where('company_id', '=', companyId).orderBy('id').execute())
      .filter((e) => e.action.startsWith(prefix))
      .map((e) => ({ action: e.action, detail: JSON.parse(e.detail ?? '{}') as Record<string, unknown> }));

  test('a company without groups keeps every enabled module for everyone', async () => {
    assert.deepEqual(await groups(), []);
    assert.deepEqual(await launcher(uma.agent), ['Ticketing', 'Wiki']);
    assert.deepEqual(await launcher(root), ['Ticketing', 'Wiki']);
  });

  test('names are unique per company, whatever the case, spacing or look-alike letters', async () => {
    const sales = await create('  Sales   Team ');
    assert.equal(sales.name, 'Sales Team');
    for (const name of ['sales team', 'SALES  TEAM', 'Ѕаlеs Team' /* Cyrillic S, a, e */]) {
      const again = await root.post('/api/company/groups', { name });
      assert.equal(again.status, 409, name);
      assert.equal(again.body.error.code, 'group.name_taken');
    }
    // Another company may use the same name.
    await create('Sales Team', globex.root.agent);
    const bad = await root.post('/api/company/groups', { name: 'a\u0000b' });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.error.fields.name);
    const invisible = await root.post('/api/company/groups', { name: 'Sa\u200Bles' });
    assert.equal(invisible.status, 400);
    const empty = await root.post('/api/company/groups', { name: '   ' });
    assert.equal(empty.status, 400);

    const renamed = await root.post(`/api/company/groups/${sales.id}/rename`, { name: 'Sales <EMEA>' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.group.name, 'Sales <EMEA>');
    const other = await create('Support');
    const clash = await root.post(`/api/company/groups/${other.id}/rename`, { name: 'sales <emea>' });
    assert.equal(clash.status, 409);
    assert.deepEqual((await groups()).map((g) => g.name), ['Sales <EMEA>', 'Support']);
    const trail = await actions(acme.companyId);
    assert.deepEqual(trail.slice(-3).map((e) => e.action), ['group.created', 'group.renamed', 'group.created']);
    assert.equal(trail.at(-2)?.detail.from, 'Sales Team');
    for (const g of await groups()) assert.equal((await root.post(`/api/company/groups/${g.id}/delete`)).status, 200);
  });

  test("once a group has a module, only its members see it; Masters too; others keep the rest", async () => {
    const desk = await create('Service Desk');
    const chose = await root.post(`/api/company/groups/${desk.id}/modules`, { moduleIds: [ticketing.id, ticketing.id] });
    assert.equal(chose.status, 200, JSON.stringify(chose.body));
    assert.deepEqual(chose.body.group.modules.map((m: any) => m.name), ['Ticketing']);
    assert.deepEqual(await launcher(uma.agent), ['Wiki']);
    assert.deepEqual(await launcher(root), ['Wiki'], 'the Root Master follows groups too');

    const added = await root.post(`/api/company/groups/${desk.id}/members`, { userId: uma.id });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body.group.members.map((m: any) => m.username), ['uma']);
    // Adding again changes nothing and records nothing new.
    assert.equal((await root.post(`/api/company/groups/${desk.id}/members`, { userId: uma.id })).status, 200);
    assert.deepEqual(await launcher(uma.agent), ['Ticketing', 'Wiki']);
    assert.deepEqual(await launcher(root), ['Wiki']);

    const removed = await root.post(`/api/company/groups/${desk.id}/members/${uma.id}/remove`);
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.group.members, []);
    assert.deepEqual(await launcher(uma.agent), ['Wiki']);

    // No modules for the group: Ticketing is open to everyone again.
    assert.equal((await root.post(`/api/company/groups/${desk.id}/modules`, { moduleIds: [] })).status, 200);
    assert.deepEqual(await launcher(uma.agent), ['Ticketing', 'Wiki']);

    // Deleting a group that held a module opens it again too; its memberships go with it.
    await root.post(`/api/company/groups/${desk.id}/modules`, { moduleIds: [wiki.id] });
    await root.post(`/api/company/groups/${desk.id}/members`, { userId: uma.id });
    assert.deepEqual(await launcher(root), ['Ticketing']);
    assert.equal((await root.post(`/api/company/groups/${desk.id}/delete`)).status, 200);
    assert.deepEqual(await groups(), []);
    assert.deepEqual(await launcher(root), ['Ticketing', 'Wiki']);
    const left = await dbOf(server).selectFrom('group_members').selectAll().where('group_id', '=', desk.id).execute();
    assert.deepEqual(left, []);

    const trail = (await actions(acme.companyId)).slice(-7);
    assert.deepEqual(
      trail.map((e) => e.action),
      ['group.modules_changed', 'group.member_added', 'group.member_removed', 'group.modules_changed', 'group.modules_changed', 'group.member_added', 'group.deleted'],
    );
    assert.deepEqual(trail[0]?.detail.modules, ['Ticketing']);
    assert.equal(trail[1]?.detail.username, 'uma');
    assert.equal(trail[1]?.detail.actorUsername, acme.root.username);
  });

  test('a module taken from the company keeps its groups: a save meanwhile leaves them, and a new grant finds it closed as before', async () => {
    const field = await create('Field Team');
    assert.equal((await root.post(`/api/company/groups/${field.id}/modules`, { moduleIds: [ticketing.id, wiki.id] })).status, 200);
    assert.deepEqual(await launcher(uma.agent), [], "both modules are the group's, and uma is not in it");
    const grant = (verb: 'grant' | 'revoke') => operator.post(`/api/operator/companies/${acme.companyId}/modules/${wiki.id}/${verb}`, {});

    assert.equal((await grant('revoke')).status, 200);
    const shown = (await groups()).find((g) => g.id === field.id);
    assert.deepEqual(shown?.modules.map((m) => m.name), ['Ticketing'], 'a module the company no longer has is not shown');
    // The Master saves what the page shows, then changes it: neither may drop what it cannot show.
    const saved = await root.post(`/api/company/groups/${field.id}/modules`, { moduleIds: [ticketing.id] });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal((await root.post(`/api/company/groups/${field.id}/modules`, { moduleIds: [] })).status, 200);
    assert.deepEqual(await launcher(uma.agent), ['Ticketing'], 'the group no longer names Ticketing');

    assert.equal((await grant('grant')).status, 200);
    assert.deepEqual(await launcher(uma.agent), ['Ticketing'], 'Wiki comes back closed to those outside the group, as it was');
    assert.deepEqual((await groups()).find((g) => g.id === field.id)?.modules.map((m) => m.name), ['Wiki']);
    assert.equal((await root.post(`/api/company/groups/${field.id}/delete`)).status, 200);
    assert.deepEqual(await launcher(uma.agent), ['Ticketing', 'Wiki']);
  });

  test("another company's group, user and module ids are 404, like missing ones, and change nothing", async () => {
    const mine = await create('Engineers');
    const theirs = await create('Globex Engineers', globex.root.agent);
    const missing = await root.post(`/api/company/groups/${MISSING}/rename`, { name: 'X' });
    assert.equal(missing.status, 404);
    const probes: [string, unknown][] = [
      [`/api/company/groups/${theirs.id}/rename`, { name: 'Taken over' }],
      [`/api/company/groups/${theirs.id}/delete`, {}],
      [`/api/company/groups/${theirs.id}/members`, { userId: uma.id }],
      [`/api/company/groups/${theirs.id}/members/${gil.id}/remove`, {}],
      [`/api/company/groups/${theirs.id}/modules`, { moduleIds: [ticketing.id] }],
      [`/api/company/groups/${mine.id}/members`, { userId: gil.id }],
      [`/api/company/groups/${mine.id}/members`, { userId: MISSING }],
      [`/api/company/groups/${mine.id}/modules`, { moduleIds: [globexOnly.id] }],
      [`/api/company/groups/${mine.id}/modules`, { moduleIds: [ticketing.id, MISSING] }],
      [`/api/company/groups/not-a-uuid/delete`, {}],
    ];
    for (const [path, body] of probes) {
      const answer = await root.post(path, body);
      assert.equal(answer.status, 404, path);
      assert.deepEqual(answer.body, missing.body, path);
    }
    assert.deepEqual((await groups(globex.root.agent)).map((g) => [g.name, g.members.length, g.modules.length]), [
      ['Globex Engineers', 0, 0],
      ['Sales Team', 0, 0],
    ]);
    const mineNow = (await groups()).find((g) => g.id === mine.id);
    assert.deepEqual([mineNow?.members, mineNow?.modules], [[], []]);
    assert.ok(!(await groups()).some((g) => g.id === theirs.id), 'Acme does not see Globex groups');
    // A companyId smuggled into the body or query is not read.
    const smuggled = await root.post(`/api/company/groups?companyId=${globex.companyId}`, { name: 'Smuggled', companyId: globex.companyId });
    assert.ok(smuggled.status === 201 || smuggled.status === 400, String(smuggled.status));
    assert.ok(!(await groups(globex.root.agent)).some((g) => g.name === 'Smuggled'));
    for (const g of await groups()) await root.post(`/api/company/groups/${g.id}/delete`);
  });

  test('plain users cannot see or manage groups', async () => {
    assert.equal((await uma.agent.get('/api/company/groups')).status, 403);
    assert.equal((await uma.agent.post('/api/company/groups', { name: 'Mine' })).status, 403);
    assert.equal((await server.agent().get('/api/company/groups')).status, 401);
  });

  test('the identity-provider sync matches names as people see them, ignores unknown ones and creates nothing', async () => {
    const a = await create('Field Techs');
    const b = await create('Billing');
    await root.post(`/api/company/groups/${b.id}/members`, { userId: uma.id });
    const { deps } = server.gatehouse;
    const sync = (names: string[]) =>
      deps.db.transaction().execute((tx) => replaceMembershipsByGroupNames(tx, deps.clock(), acme.companyId, uma.id, names));
    assert.deepEqual(await sync(['field  techs', 'Nobody Has This', '']), { added: ['Field Techs'], removed: ['Billing'] });
    assert.deepEqual((await groups()).map((g) => [g.name, g.members.map((m) => m.username)]), [
      ['Billing', []],
      ['Field Techs', ['uma']],
    ]);
    assert.ok(!(await groups()).some((g) => g.name === 'Nobody Has This'), 'no group was created');
    // Nothing to change: nothing recorded.
    const before = (await actions(acme.companyId, 'group.memberships_synced')).length;
    assert.deepEqual(await sync(['FIELD TECHS']), { added: [], removed: [] });
    assert.equal((await actions(acme.companyId, 'group.memberships_synced')).length, before);
    const last = (await actions(acme.companyId, 'group.memberships_synced')).at(-1);
    assert.deepEqual(last?.detail, { username: 'uma', source: 'identity_provider', added: ['Field Techs'], removed: ['Billing'] });
    // Another company's user or groups are out of reach.
    assert.deepEqual(
      await deps.db.transaction().execute((tx) => replaceMembershipsByGroupNames(tx, deps.clock(), acme.companyId, gil.id, ['Billing'])),
      { added: [], removed: [] },
    );
    assert.deepEqual(
      await deps.db.transaction().execute((tx) => replaceMembershipsByGroupNames(tx, deps.clock(), globex.companyId, gil.id, ['Field Techs', 'Sales Team'])),
      { added: ['Sales Team'], removed: [] },
    );
    assert.deepEqual(await sync([]), { added: [], removed: ['Field Techs'] });
    for (const g of [a, b]) await root.post(`/api/company/groups/${g.id}/delete`);
  });

  test('/api/v1: users:read lists, users:write changes, another company is 404', async () => {
    const reader = await apiClient(server, { name: 'Reader', scopes: ['users:read'], companyId: acme.companyId });
    const writer = await apiClient(server, { name: 'Writer', scopes: ['users:read', 'users:write'], companyId: acme.companyId });
    const readToken = await tokenFor(server, reader.client.clientId, reader.clientSecret);
    const writeToken = await tokenFor(server, writer.client.clientId, writer.clientSecret);
    const v1 = (path: string) => `/api/v1/companies/${acme.companyId}${path}`;
    const send = async (path: string, token: string, body: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(new URL(path, server.baseUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as any };
    };

    const refused = await send(v1('/groups'), readToken, { name: 'Robots' });
    assert.equal(refused.status, 403);
    const created = await send(v1('/groups'), writeToken, { name: 'Robots' }, { 'idempotency-key': 'robots-1' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const replay = await send(v1('/groups'), writeToken, { name: 'Robots' }, { 'idempotency-key': 'robots-1' });
    assert.deepEqual([replay.status, replay.body.group.id], [201, created.body.group.id]);
    const id = created.body.group.id as string;
    assert.equal((await send(v1(`/groups/${id}/members`), writeToken, { userId: uma.id })).status, 200);
    const chose = await send(v1(`/groups/${id}/modules`), writeToken, { moduleIds: [wiki.id] });
    assert.equal(chose.status, 200, JSON.stringify(chose.body));
    assert.deepEqual(await launcher(root), ['Ticketing']);
    assert.deepEqual(await launcher(uma.agent), ['Ticketing', 'Wiki']);

    const listed = await callApi(server, v1('/groups'), readToken);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.groups.map((g: any) => [g.name, g.members.map((m: any) => m.username), g.modules.map((m: any) => m.name)]), [
      ['Robots', ['uma'], ['Wiki']],
    ]);
    const trail = (await actions(acme.companyId)).slice(-3);
    assert.deepEqual(trail.map((e) => e.detail.actorClientName), ['Writer', 'Writer', 'Writer']);

    // Globex's id, or Globex's user and module in Acme's path: not found.
    assert.equal((await callApi(server, `/api/v1/companies/${globex.companyId}/groups`, readToken)).status, 404);
    assert.equal((await send(`/api/v1/companies/${globex.companyId}/groups`, writeToken, { name: 'X' })).status, 404);
    assert.equal((await send(v1(`/groups/${id}/members`), writeToken, { userId: gil.id })).status, 404);
    assert.equal((await send(v1(`/groups/${id}/modules`), writeToken, { moduleIds: [globexOnly.id] })).status, 404);
    assert.equal((await send(v1(`/groups/${id}/members/${uma.id}/remove`), writeToken, {})).status, 200);
    assert.equal((await send(v1(`/groups/${id}/delete`), writeToken, {})).status, 200);
    assert.deepEqual(await launcher(root), ['Ticketing', 'Wiki']);
  });
});
