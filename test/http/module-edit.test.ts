// Editing a module (an OpenID Connect client) after its registration: the operator console
// (POST /api/operator/modules/:id) and /api/v1 (POST /api/v1/modules/:moduleId, modules:write)
// take the whole form under registration's rules, keep the client type, save only on the
// version the form read (If-Match, 412 otherwise) and record `module.updated` naming the
// fields changed, nothing for a save that changes nothing (src/modules/changes.ts
// updateModuleBy). What the provider does with an edit: test/oidc/module-edit.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, POST_LOGOUT_URI, REDIRECT_URI, registerTestModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** The whole form of the test module (test/helpers/oidc.ts), as the console sends it. */
const FORM = {
  name: 'Ticketing',
  description: 'Service desk',
  launchUrl: 'http://127.0.0.1:4999/',
  redirectUris: [REDIRECT_URI],
  postLogoutRedirectUris: [POST_LOGOUT_URI],
  clientType: 'confidential',
  idTokenAlg: 'RS256',
};

for (const engine of await enginesUnderTest()) {
  describe(`editing a module (${engine})`, () => {
    let server: TestServer;
    let operator: Awaited<ReturnType<typeof signedInOperator>>;
    let root: Person;
    before(async () => {
      server = await startTestServer({ engine, realClock: true });
      operator = await signedInOperator(server);
      root = await companyWithRootMaster(server, operator.agent);
    });
    after(() => server.close());

    const row = (id: string) => server.gatehouse.deps.db.selectFrom('modules').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const updates = async (id: string) =>
      (await server.gatehouse.deps.db.selectFrom('audit_events').select(['detail', 'actor_id', 'actor_client_id']).where('target', '=', id).where('action', '=', 'module.updated').orderBy('id').execute()).map(
        (event) => ({ ...event, detail: JSON.parse(event.detail ?? '{}') as Record<string, unknown> }),
      );
    const edit = (id: string, body: unknown, headers?: Record<string, string>) => operator.agent.post(`/api/operator/modules/${id}`, body, headers);

    test('an edit replaces the settings, answers them with their version (also the ETag), and the trail names the fields changed', async () => {
      const { module } = await registerTestModule(operator.agent, { name: 'Ticketing' });
      const read = await operator.agent.get(`/api/operator/modules/${module.id}`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.headers.get('etag'), `"${read.body.module.version}"`);
      const secretBefore = (await row(module.id)).secret_hash;

      const changed = {
        ...FORM,
        name: 'Ticketing Desk',
        redirectUris: [REDIRECT_URI, 'https://desk.example.com/callback'],
        backchannelLogoutUri: 'https://desk.example.com/backchannel',
        idTokenAlg: 'ES256',
      };
      const saved = await edit(module.id, changed);
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal(saved.body.module.name, 'Ticketing Desk');
      assert.deepEqual(saved.body.module.redirectUris, changed.redirectUris);
      assert.equal(saved.body.module.backchannelLogoutUri, changed.backchannelLogoutUri);
      assert.equal(saved.body.module.idTokenAlg, 'ES256');
      assert.equal(saved.body.module.clientId, module.clientId, 'the client id stays');
      assert.notEqual(saved.body.module.version, read.body.module.version);
      assert.equal(saved.headers.get('etag'), `"${saved.body.module.version}"`);
      assert.equal((await row(module.id)).secret_hash, secretBefore, 'an edit is not a rotation: the secret stays');

      const listed = (await operator.agent.get('/api/operator/modules')).body.modules.find((m: { id: string }) => m.id === module.id);
      assert.deepEqual(listed, saved.body.module, 'the list shows the edit');

      const [event, ...more] = await updates(module.id);
      assert.equal(more.length, 0);
      assert.deepEqual([...(event?.detail.changed as string[])].sort(), ['backchannelLogoutUri', 'idTokenAlg', 'name', 'redirectUris']);
      assert.equal(event?.detail.clientId, module.clientId);
      assert.equal(event?.detail.module, 'Ticketing Desk');
      assert.ok(event?.actor_id, 'the operator is named');

      // The same form again changes nothing: nothing written, nothing in the trail, the same version.
      const again = await edit(module.id, changed);
      assert.equal(again.status, 200);
      assert.equal(again.body.module.version, saved.body.module.version);
      assert.equal((await updates(module.id)).length, 1, 'a save that changes nothing is not audited');

      // A field left out takes its registration default: the whole form is the module.
      const cleared = await edit(module.id, { ...changed, backchannelLogoutUri: undefined, idTokenAlg: undefined, clientType: undefined });
      assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
      assert.equal(cleared.body.module.backchannelLogoutUri, null);
      assert.equal(cleared.body.module.idTokenAlg, 'RS256');
      assert.equal(cleared.body.module.clientType, 'confidential', 'left out, the client type stays');
      assert.deepEqual([...((await updates(module.id))[1]?.detail.changed as string[])].sort(), ['backchannelLogoutUri', 'idTokenAlg']);
    });

    test('the client type stays: a change is refused under its field, saying why, and nothing changes', async () => {
      const { module } = await registerTestModule(operator.agent, { name: 'Kiosk', clientType: 'public' });
      const before = await row(module.id);
      for (const body of [{ ...FORM, name: 'Kiosk 2', clientType: 'confidential' }]) {
        const refused = await edit(module.id, body);
        assert.equal(refused.status, 400, JSON.stringify(refused.body));
        assert.equal(refused.body.error.code, 'request.invalid');
        assert.match(refused.body.error.fields.clientType, /keeps its client type.*Register a new module/);
      }
      assert.deepEqual(await row(module.id), before);
      assert.equal((await updates(module.id)).length, 0);
      const asItIs = await edit(module.id, { ...FORM, name: 'Kiosk 2', clientType: 'public' });
      assert.equal(asItIs.status, 200, JSON.stringify(asItIs.body));
      assert.equal(asItIs.body.module.secretHash, undefined);
      assert.equal((await row(module.id)).secret_hash, null, 'a public module gets no secret by an edit');
    });

    test("registration's rules apply to an edit: URIs checked the same way, at least one redirect URI, the same caps", async () => {
      const { module } = await registerTestModule(operator.agent, { name: 'Rules' });
      const before = await row(module.id);
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['plain http off loopback', { redirectUris: [REDIRECT_URI, 'http://desk.example.com/cb'] }, 'redirectUris.1'],
        ['a fragment', { redirectUris: ['https://desk.example.com/cb#x'] }, 'redirectUris.0'],
        ['a wildcard host', { postLogoutRedirectUris: ['https://*.example.com/bye'] }, 'postLogoutRedirectUris.0'],
        ['credentials in the back-channel URI', { backchannelLogoutUri: 'https://user:pw@desk.example.com/bc' }, 'backchannelLogoutUri'],
        ['a launch URL that is no URL', { launchUrl: 'desk' }, 'launchUrl'],
        ['no redirect URI', { redirectUris: [] }, 'redirectUris'],
        ['21 redirect URIs', { redirectUris: Array.from({ length: 21 }, (_, i) => `https://desk.example.com/${i}`) }, 'redirectUris'],
        ['an empty name', { name: '' }, 'name'],
        ['an algorithm not offered', { idTokenAlg: 'HS256' }, 'idTokenAlg'],
      ];
      for (const [what, change, field] of cases) {
        const refused = await edit(module.id, { ...FORM, ...change });
        assert.equal(refused.status, 400, `${what}: ${JSON.stringify(refused.body)}`);
        assert.ok(refused.body.error.fields?.[field], `${what}: under ${field}: ${JSON.stringify(refused.body.error)}`);
      }
      assert.deepEqual(await row(module.id), before, 'nothing refused was saved');
      assert.equal((await updates(module.id)).length, 0);
    });

    test('If-Match: a save on the version read is made; one on a version since replaced is refused (412) and undoes nothing', async () => {
      const { module } = await registerTestModule(operator.agent, { name: 'Shared' });
      const read = await operator.agent.get(`/api/operator/modules/${module.id}`);
      const etag = read.headers.get('etag') as string;

      // Another form (another operator's, or another tab's) adds a redirect URI first, on the same version.
      const first = await edit(module.id, { ...FORM, name: 'Shared', redirectUris: [REDIRECT_URI, 'https://shared.example.com/cb'] }, { 'if-match': etag });
      assert.equal(first.status, 200, JSON.stringify(first.body));

      // This form still shows the old URIs: its save would take the new one away unseen.
      const stale = await edit(module.id, { ...FORM, name: 'Shared Desk' }, { 'if-match': etag });
      assert.equal(stale.status, 412, JSON.stringify(stale.body));
      assert.equal(stale.body.error.code, 'request.changed_meanwhile');
      const now = (await operator.agent.get(`/api/operator/modules/${module.id}`)).body.module;
      assert.deepEqual([now.name, now.redirectUris], ['Shared', [REDIRECT_URI, 'https://shared.example.com/cb']], 'the first save stands');

      const weak = await edit(module.id, { ...FORM, name: 'Shared Desk' }, { 'if-match': `W/"${now.version}"` });
      assert.equal(weak.status, 412, 'a weak tag never matches');
      const onCurrent = await edit(module.id, { ...FORM, name: 'Shared Desk', redirectUris: now.redirectUris }, { 'if-match': `"${now.version}"` });
      assert.equal(onCurrent.status, 200, JSON.stringify(onCurrent.body));
      assert.deepEqual(onCurrent.body.module.redirectUris, [REDIRECT_URI, 'https://shared.example.com/cb']);
      const any = await edit(module.id, { ...FORM, name: 'Shared' }, { 'if-match': '*' });
      assert.equal(any.status, 200, 'If-Match: * needs only the module to exist');
    });

    test('only operators edit modules; an unknown module is not found', async () => {
      const { module } = await registerTestModule(operator.agent, { name: 'Guarded' });
      assert.equal((await root.agent.post(`/api/operator/modules/${module.id}`, FORM)).status, 403);
      assert.equal((await server.agent().post(`/api/operator/modules/${module.id}`, FORM)).status, 401);
      assert.equal((await root.agent.get(`/api/operator/modules/${module.id}`)).status, 403);
      const unknown = await edit('00000000-0000-4000-8000-000000000000', FORM);
      assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
      assert.equal((await operator.agent.get('/api/operator/modules/00000000-0000-4000-8000-000000000000')).status, 404);
      assert.equal((await row(module.id)).name, 'Guarded');
    });

    test('/api/v1: a platform client with modules:write edits a module (If-Match from the read), audited as the client; modules:read alone cannot', async () => {
      const { module } = await registerTestModule(operator.agent, { name: 'Through API' });
      const writer = await apiClient(server, { name: 'Catalogue sync', scopes: ['modules:read', 'modules:write'], companyId: null });
      const token = await tokenFor(server, writer.client.clientId, writer.clientSecret);
      const read = await sendApi(server, 'GET', `/api/v1/modules/${module.id}`, token);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.headers.get('etag'), `"${read.body.module.version}"`);

      const body = { ...FORM, name: 'Through API', redirectUris: ['https://api.example.com/cb'] };
      const saved = await sendApi(server, 'POST', `/api/v1/modules/${module.id}`, token, body, { 'if-match': read.headers.get('etag') as string });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.deepEqual(saved.body.module.redirectUris, ['https://api.example.com/cb']);
      assert.equal(saved.headers.get('etag'), `"${saved.body.module.version}"`);
      const stale = await sendApi(server, 'POST', `/api/v1/modules/${module.id}`, token, { ...body, name: 'Late' }, { 'if-match': read.headers.get('etag') as string });
      assert.equal(stale.status, 412);
      assert.equal(stale.body.code, 'request.changed_meanwhile');
      const changedType = await sendApi(server, 'POST', `/api/v1/modules/${module.id}`, token, { ...body, clientType: 'public' });
      assert.equal(changedType.status, 400);
      const [event] = await updates(module.id);
      assert.equal(event?.actor_client_id, writer.client.id);
      assert.deepEqual(event?.detail.changed, ['redirectUris']);

      const reader = await apiClient(server, { name: 'Catalogue reader', scopes: ['modules:read'], companyId: null });
      const readerToken = await tokenFor(server, reader.client.clientId, reader.clientSecret);
      const refused = await sendApi(server, 'POST', `/api/v1/modules/${module.id}`, readerToken, { ...body, name: 'Nope' });
      assert.equal(refused.status, 403);
      assert.equal((await row(module.id)).name, 'Through API');
    });
  });
}
