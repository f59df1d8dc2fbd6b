// Settings edited as a whole form (the security policy, the single sign-on mode and
// break-glass users, a provider's settings, a group's modules): two Masters open the same form, the first saves,
// and the second's form still shows the old values. Its save must not put them back: a
// save sent with the version its form was read at (If-Match, from the answer's ETag or
// `version`) is refused with 412 once someone else has saved, and nothing of it is kept.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { clientToken, sendApi } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { storedTestModule } from '../helpers/oidc.ts';
import { grantModule } from '../../src/modules/index.ts';

const quoted = (version: string) => `"${version}"`;

for (const engine of await enginesUnderTest()) describe(`a save made on settings someone else changed since is refused (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let other: Person;

  const dana = () => company.root.agent;
  const auditCount = async (action: string) =>
    (await dbOf(server).selectFrom('audit_events').select('id').where('action', '=', action).where('company_id', '=', company.companyId).execute()).length;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Meanwhile', 'dana@meanwhile.test');
    other = await invitedMember(server, company, dana(), { username: 'ollie', role: 'master' });
  });
  after(() => server?.close());

  /** Reads a settings answer: its version, which the ETag names too. */
  async function read(agent: Agent, path: string) {
    const answer = await agent.get(path);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.match(answer.body.version, /^[A-Za-z0-9_-]{16,}$/);
    assert.equal(answer.headers.get('etag'), quoted(answer.body.version));
    return answer.body;
  }

  test("the policy: a Master's stale form cannot take back another Master's allowlist entry or stricter rule", async () => {
    const danasForm = await read(dana(), '/api/company/policy');
    const olliesForm = await read(other.agent, '/api/company/policy');
    assert.equal(danasForm.version, olliesForm.version);

    const saved = await dana().post('/api/company/policy', { ipAllowlist: ['127.0.0.1', '203.0.113.0/24'], phishingResistant: 'off', twoPerson2faReset: true }, { 'if-match': quoted(danasForm.version) });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.notEqual(saved.body.version, danasForm.version);
    assert.equal(saved.headers.get('etag'), quoted(saved.body.version));

    // Ollie's form still shows the old policy and sends all of it with his one change.
    const events = await auditCount('policy.changed');
    const stale = await other.agent.post('/api/company/policy', { ...olliesForm.policy, lockoutThreshold: 9 }, { 'if-match': quoted(olliesForm.version) });
    assert.deepEqual([stale.status, stale.body.error?.code], [412, 'request.changed_meanwhile'], JSON.stringify(stale.body));
    assert.match(stale.body.error.message, /Someone else saved changes/);
    const now = (await dana().get('/api/company/policy')).body;
    assert.deepEqual([now.policy.ipAllowlist, now.policy.twoPerson2faReset, now.policy.lockoutThreshold], [['127.0.0.1/32', '203.0.113.0/24'], true, danasForm.policy.lockoutThreshold]);
    assert.equal(await auditCount('policy.changed'), events, 'nothing of the refused save is audited');

    // On the policy as it is now, his change goes through, and keeps hers.
    const again = await other.agent.post('/api/company/policy', { ...now.policy, lockoutThreshold: 9 }, { 'if-match': quoted(now.version) });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual([again.body.policy.lockoutThreshold, again.body.policy.ipAllowlist.length, again.body.policy.twoPerson2faReset], [9, 2, true]);
  });

  test('If-Match as HTTP has it: several tags, *, a weak tag never matches, a malformed one is a 400; without it a save merges as before', async () => {
    const current = await read(dana(), '/api/company/policy');
    const at = (ifMatch: string, lockoutMinutes: number) => dana().post('/api/company/policy', { lockoutMinutes }, { 'if-match': ifMatch });

    assert.equal((await at(`"not-it", ${quoted(current.version)}`, 16)).status, 200);
    assert.equal((await at('*', 17)).status, 200);
    const latest = (await dana().get('/api/company/policy')).body.version;
    const weak = await at(`W/${quoted(latest)}`, 18);
    assert.deepEqual([weak.status, weak.body.error?.code], [412, 'request.changed_meanwhile']);
    for (const malformed of [latest, `"${latest}`, `"a", b`, '']) {
      const answer = await at(malformed, 19);
      assert.deepEqual([answer.status, answer.body.error?.code, Object.keys(answer.body.error?.fields ?? {})], [400, 'request.invalid', ['If-Match']], `If-Match: ${malformed}`);
    }
    assert.equal((await dana().get('/api/company/policy')).body.policy.lockoutMinutes, 17);
    const unconditional = await dana().post('/api/company/policy', { lockoutMinutes: 20 });
    assert.equal(unconditional.status, 200);
    // A change undone is the version it was: a form showing those settings shows the truth.
    const back = await dana().post('/api/company/policy', { lockoutMinutes: 17 });
    assert.equal(back.body.version, latest);
  });

  test('two saves on the same version at once: exactly one is made', async () => {
    const { version, policy } = await read(dana(), '/api/company/policy');
    const answers = await Promise.all([
      dana().post('/api/company/policy', { ipAllowlist: [...policy.ipAllowlist, '198.51.100.1'] }, { 'if-match': quoted(version) }),
      other.agent.post('/api/company/policy', { ipAllowlist: [...policy.ipAllowlist, '198.51.100.2'] }, { 'if-match': quoted(version) }),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 412], JSON.stringify(answers.map((a) => a.body)));
    const kept = answers.find((a) => a.status === 200)!.body.policy.ipAllowlist;
    assert.deepEqual((await dana().get('/api/company/policy')).body.policy.ipAllowlist, kept);
  });

  test('the API: /api/v1 answers the policy with its version and refuses a stale save the same way', async () => {
    const token = await clientToken(server, { scopes: ['policy:read', 'policy:write'], companyId: company.companyId });
    const path = `/api/v1/companies/${company.companyId}/policy`;
    const read1 = await sendApi(server, 'GET', path, token);
    assert.equal(read1.headers.get('etag'), quoted(read1.body.version));
    assert.equal((await dana().post('/api/company/policy', { lockoutMinutes: 21 })).status, 200);
    const stale = await sendApi(server, 'POST', path, token, { lockoutMinutes: 22 }, { 'if-match': read1.headers.get('etag')! });
    assert.deepEqual([stale.status, stale.body.code], [412, 'request.changed_meanwhile'], JSON.stringify(stale.body));
    const read2 = await sendApi(server, 'GET', path, token);
    assert.equal(read2.body.policy.lockoutMinutes, 21);
    const fresh = await sendApi(server, 'POST', path, token, { lockoutMinutes: 22 }, { 'if-match': read2.headers.get('etag')! });
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
  });

  test("single sign-on: a stale form cannot undo the mode or the break-glass users another Master saved", async () => {
    const danasForm = await read(dana(), '/api/company/sso');
    const olliesForm = await read(other.agent, '/api/company/sso');
    const saved = await dana().post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [company.root.id, other.id] }, { 'if-match': quoted(danasForm.version) });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal(saved.headers.get('etag'), quoted(saved.body.version));

    const stale = await other.agent.post('/api/company/sso', { mode: olliesForm.mode, breakGlassUserIds: [other.id] }, { 'if-match': quoted(olliesForm.version) });
    assert.deepEqual([stale.status, stale.body.error?.code], [412, 'request.changed_meanwhile']);
    const now = await read(dana(), '/api/company/sso');
    assert.deepEqual([now.mode, [...now.breakGlassUserIds].sort()], ['sso-only', [company.root.id, other.id].sort()]);
    assert.equal((await other.agent.post('/api/company/sso', { mode: 'sso-plus-password' }, { 'if-match': quoted(now.version) })).status, 200);
  });

  test('single sign-on: the version is of who is break-glass, not of the order their names sort in', async () => {
    const form = await read(dana(), '/api/company/sso');
    assert.equal(form.breakGlassUserIds.length, 2);
    // The list is shown by name; a name's sort key recomputed (as a migration of the name
    // rules does) reorders it without changing anyone's settings.
    const db = dbOf(server);
    const keyOf = async (id: string) => (await db.selectFrom('users').select('username_key').where('id', '=', id).executeTakeFirstOrThrow()).username_key;
    const [firstId, secondId] = form.breakGlassUserIds as string[];
    const first = { id: firstId!, username_key: await keyOf(firstId!) };
    await db.updateTable('users').set({ username_key: `${await keyOf(secondId!)}~` }).where('id', '=', first.id).execute();
    const reordered = await read(dana(), '/api/company/sso');
    assert.notDeepEqual(reordered.breakGlassUserIds, form.breakGlassUserIds, 'the list is shown in its new order');
    assert.equal(reordered.version, form.version);
    const saved = await dana().post('/api/company/sso', { mode: form.mode, breakGlassUserIds: form.breakGlassUserIds }, { 'if-match': quoted(form.version) });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    await db.updateTable('users').set({ username_key: first.username_key }).where('id', '=', first.id).execute();
  });

  test("a provider: an edit made on settings changed since is refused; a Test sign-in or switching it on does not count as a change", async () => {
    const idp = makeIdp();
    const added = await dana().post('/api/company/sso/providers', {
      kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const opened = added.body.provider;
    const edit = (agent: Agent, change: Record<string, unknown>, version: string) =>
      agent.post(`/api/company/sso/providers/${opened.id}`, { kind: 'saml', name: opened.name, entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false, ...change }, { 'if-match': quoted(version) });

    // Tested meanwhile (another button): the form opened before still saves.
    const sp = (await dana().get('/api/company/sso')).body.serviceProvider;
    const started = await dana().post(`/api/company/sso/providers/${opened.id}/test`);
    await postToAcs(sp.acsUrl, signedResponse(idp, { requestId: requestIdFrom(started.body.redirectTo), acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'tester', now: server.clock(), attributes: {} }), dana());
    const tested = (await dana().get('/api/company/sso')).body.providers.find((p: { id: string }) => p.id === opened.id);
    assert.ok(tested.testedAt, 'the test sign-in was recorded');
    assert.equal(tested.version, opened.version);

    const renamed = await edit(dana(), { name: 'Acme Entra' }, opened.version);
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.headers.get('etag'), quoted(renamed.body.provider.version));
    const stale = await edit(other.agent, { usernameAttribute: 'email' }, opened.version);
    assert.deepEqual([stale.status, stale.body.error?.code], [412, 'request.changed_meanwhile']);
    const now = (await dana().get('/api/company/sso')).body.providers.find((p: { id: string }) => p.id === opened.id);
    assert.deepEqual([now.name, now.usernameAttribute], ['Acme Entra', 'NameID']);
    assert.equal((await edit(other.agent, { name: 'Acme Entra', usernameAttribute: 'email' }, now.version)).status, 200);
  });

  test("a group's modules: a page still showing the old ticks cannot take away a module another Master ticked since (the console and /api/v1)", async () => {
    const { deps } = server.gatehouse;
    const granted = async () => {
      const { module } = await storedTestModule(server);
      await grantModule(deps.db, company.companyId, module.id, deps.clock());
      return module.id;
    };
    const [ticketing, wiki] = [await granted(), await granted()];
    const created = await dana().post('/api/company/groups', { name: 'Desk' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const opened = created.body.group;
    const path = `/api/company/groups/${opened.id}/modules`;

    const danas = await dana().post(path, { moduleIds: [ticketing] }, { 'if-match': quoted(opened.modulesVersion) });
    assert.equal(danas.status, 200, JSON.stringify(danas.body));
    assert.equal(danas.headers.get('etag'), quoted(danas.body.group.modulesVersion));
    const olliesStale = await other.agent.post(path, { moduleIds: [wiki] }, { 'if-match': quoted(opened.modulesVersion) });
    assert.deepEqual([olliesStale.status, olliesStale.body.error?.code], [412, 'request.changed_meanwhile']);

    // A member added meanwhile is not a change of the modules: the choice still saves.
    const listed = (await other.agent.get('/api/company/groups')).body.groups.find((g: { id: string }) => g.id === opened.id);
    assert.equal((await dana().post(`/api/company/groups/${opened.id}/members`, { userId: other.id })).status, 200);
    const both = await other.agent.post(path, { moduleIds: [ticketing, wiki] }, { 'if-match': quoted(listed.modulesVersion) });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    assert.equal(both.body.group.modules.length, 2);

    const token = await clientToken(server, { scopes: ['users:read', 'users:write'], companyId: company.companyId });
    const viaApi = await sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/groups/${opened.id}/modules`, token, { moduleIds: [] }, { 'if-match': quoted(listed.modulesVersion) });
    assert.deepEqual([viaApi.status, viaApi.body.code], [412, 'request.changed_meanwhile'], JSON.stringify(viaApi.body));
    const group = (await dana().get('/api/company/groups')).body.groups.find((g: { id: string }) => g.id === opened.id);
    assert.equal(group.modules.length, 2, 'nothing of the refused choices was saved');
  });
});

describe('If-Match where a change cannot honour it', () => {
  let server: TestServer;
  let company: SignedInCompany;
  before(async () => {
    server = await startTestServer();
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Unconditional', 'dana@unconditional.test');
  });
  after(() => server?.close());

  test('is refused, not ignored: the client believes its change is conditional (the console and /api/v1); reads are served', async () => {
    const created = await company.root.agent.post('/api/company/groups', { name: 'Desk' });
    const rename = await company.root.agent.post(`/api/company/groups/${created.body.group.id}/rename`, { name: 'Front Desk' }, { 'if-match': '"anything"' });
    assert.deepEqual([rename.status, rename.body.error?.code], [400, 'request.not_conditional'], JSON.stringify(rename.body));
    const token = await clientToken(server, { scopes: ['users:read', 'users:write'], companyId: company.companyId });
    const viaApi = await sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/groups/${created.body.group.id}/rename`, token, { name: 'Front Desk' }, { 'if-match': '*' });
    assert.deepEqual([viaApi.status, viaApi.body.code], [400, 'request.not_conditional'], JSON.stringify(viaApi.body));
    const groups = (await company.root.agent.get('/api/company/groups', { 'if-match': '"anything"' })).body.groups;
    assert.deepEqual(groups.map((g: { name: string }) => g.name), ['Desk'], 'nothing was renamed; the read was served');
  });
});

// The next list saved as a whole must be born conditional: a change that answers 200 (not
// a create's 201) and takes a list in its body replaces that list, so a page showing an
// older one would take away what someone added since. Each such route declares If-Match
// and answers a version to send with it.
describe('every save that replaces a list takes If-Match and answers a version', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  test('read from the OpenAPI document', async () => {
    const document = (await server.agent().get('/api/openapi.json')).body;
    const resolve = (schema: any): any => (schema?.$ref ? document.components.schemas[schema.$ref.split('/').pop()] : schema);
    const variants = (schema: any): any[] => [schema, ...(schema?.anyOf ?? []), ...(schema?.oneOf ?? [])].map(resolve).filter(Boolean);
    const takesList = (schema: any) =>
      variants(schema).some((variant) => Object.values<any>(variant.properties ?? {}).some((field) => variants(field).some((v) => v.type === 'array')));
    const conditional: string[] = [];
    for (const [path, operations] of Object.entries<any>(document.paths)) {
      const save = operations.post;
      if (!save?.responses?.['200'] || !takesList(save.requestBody?.content?.['application/json']?.schema)) continue;
      conditional.push(path);
      const headers = (save.parameters ?? []).filter((p: any) => p.in === 'header').map((p: any) => p.name);
      assert.ok(headers.includes('if-match'), `POST ${path} replaces a list but takes no If-Match`);
      const answer = JSON.stringify(save.responses['200'].content?.['application/json']?.schema ?? {}, (key, value) => (key === '$ref' ? resolve({ $ref: value }) : value));
      assert.match(answer, /"(version|modulesVersion)"/, `POST ${path} answers no version to send with the next save`);
    }
    // The routes known today are among them (the check above is not vacuous).
    for (const path of ['/api/company/policy', '/api/company/sso', '/api/company/sso/providers/{id}', '/api/company/groups/{id}/modules', '/api/v1/companies/{companyId}/policy', '/api/v1/companies/{companyId}/groups/{groupId}/modules']) {
      assert.ok(conditional.includes(path), `${path} was found`);
    }
  });
});
