// A provider's Test sign-in started before another Master edited its settings is withdrawn
// by the edit (editProvider deletes the provider's requests in its transaction). Otherwise
// only two clock readings (the edit's updated_at <= the test's created_at) kept the old
// test's answer from marking the new settings tested, and on two nodes whose clocks differ
// by a second or two (or in the same millisecond) the provider read "Tested" and could be
// switched on with an SSO URL no sign-in ever went to.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const quoted = (version: string) => `"${version}"`;

describe('a Test sign-in started before an edit does not test the edited settings', () => {
  let server: TestServer;
  let company: SignedInCompany;
  let ollie: Person;
  const dana = () => company.root.agent;
  before(async () => {
    server = await startTestServer();
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Tested Meanwhile', 'dana@tested-meanwhile.test');
    ollie = await invitedMember(server, company, dana(), { username: 'ollie', role: 'master' });
  });
  after(() => server?.close());

  test('edited on a node whose clock is behind, the provider is not marked tested by the earlier test', async () => {
    const idp = makeIdp();
    const settings = { kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false };
    const added = await dana().post('/api/company/sso/providers', settings);
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const provider = added.body.provider;
    const overview = (await dana().get('/api/company/sso')).body;
    assert.equal((await dana().post('/api/company/sso', { breakGlassUserIds: [company.root.id] }, { 'if-match': quoted(overview.version) })).status, 200);
    const sp = overview.serviceProvider;

    const startedAt = server.clock();
    const started = await dana().post(`/api/company/sso/providers/${provider.id}/test`);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    // Ollie's edit, served by a node whose clock reads 2 s behind.
    server.clock.set(startedAt - 2000);
    const edited = await ollie.agent.post(`/api/company/sso/providers/${provider.id}`, { ...settings, ssoUrl: 'https://elsewhere.example.test/sso' }, { 'if-match': quoted(provider.version) });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(edited.body.provider.testedAt, null, 'the edit asks for a new test');

    // The answer to Dana's test, sent to the old SSO URL, comes back.
    server.clock.set(startedAt + 1000);
    await postToAcs(sp.acsUrl, signedResponse(idp, { requestId: requestIdFrom(started.body.redirectTo), acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'tester', now: server.clock(), attributes: {} }), dana());

    const now = (await dana().get('/api/company/sso')).body.providers.find((p: { id: string }) => p.id === provider.id);
    const switchedOn = await dana().post(`/api/company/sso/providers/${provider.id}/enabled`, { enabled: true });
    assert.deepEqual(
      { testedAt: now.testedAt, switchOn: [switchedOn.status, switchedOn.body.error?.code] },
      { testedAt: null, switchOn: [409, 'sso.not_tested'] },
      'settings nobody tested (the new SSO URL) read "Tested" and were switched on',
    );
  });
});
