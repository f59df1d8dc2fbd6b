// A Test sign-in counts for the Master who started it only while they still could: the
// provider's answer comes back minutes later, through the browser that started the test
// (its session cookie), and by then that session may have been ended by its owner or the
// Master demoted. Such an answer leaves the provider untested (the step that lets it be
// switched on), records why, and names no one as the tester; an answer while everything
// stands counts, and names the Master in the audit trail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { dbOf, invitedMember, logInAgain, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';

for (const engine of await enginesUnderTest()) describe(`a Test sign-in against the end of the Master's session (${engine})`, () => {
  let server: TestServer;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine });
    ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Tested Co', emailDomain: 'tested.test' }));
  });
  after(() => server.close());

  /** A company with a SAML provider added (not switched on), by its Root Master. */
  async function companyWithProvider(): Promise<{ company: SignedInCompany; idp: TestIdp; providerId: string; sp: { entityId: string; acsUrl: string } }> {
    const company = await tenants.signedIn();
    const idp = makeIdp();
    const sp = (await company.root.agent.get('/api/company/sso')).body.serviceProvider;
    const added = await company.root.agent.post('/api/company/sso/providers', {
      kind: 'saml', name: 'Test IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    return { company, idp, providerId: added.body.provider.id, sp };
  }

  /** `tester` starts a Test sign-in, `meanwhile` happens, then the provider's answer comes back through the tester's browser. */
  async function testWhile(setup: Awaited<ReturnType<typeof companyWithProvider>>, tester: Agent, meanwhile: () => Promise<void>) {
    const { idp, providerId, sp } = setup;
    const started = await tester.post(`/api/company/sso/providers/${providerId}/test`);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const requestId = requestIdFrom(started.body.redirectTo);
    await meanwhile();
    const answer = await postToAcs(sp.acsUrl, signedResponse(idp, { requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'tester', now: server.clock() }), tester);
    assert.equal(answer.status, 303);
    return requestId;
  }

  const auditOf = async (companyId: string, action: string) =>
    (await dbOf(server).selectFrom('audit_events').select(['actor_id', 'detail']).where('company_id', '=', companyId).where('action', '=', action).execute()).map((row) => ({
      actor: row.actor_id,
      reason: JSON.parse(row.detail ?? '{}').reason as string | undefined,
    }));

  /** The provider was not marked tested: switching it on is refused for that, and no test is on record. */
  async function stillUntested(setup: Awaited<ReturnType<typeof companyWithProvider>>) {
    const { company, providerId } = setup;
    const row = await dbOf(server).selectFrom('sso_providers').select('tested_at').where('id', '=', providerId).executeTakeFirstOrThrow();
    assert.equal(row.tested_at, null);
    const on = await withFreshProof(server, company.root.agent, () => company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true }));
    assert.deepEqual([on.status, on.body.error?.code], [409, 'sso.not_tested'], JSON.stringify(on.body));
    assert.deepEqual(await auditOf(company.companyId, 'sso.tested'), []);
    const failed = await auditOf(company.companyId, 'sso.test_failed');
    assert.equal(failed.length, 1, JSON.stringify(failed));
    assert.match(failed[0]!.reason ?? '', /signed out or is no longer a Master/);
  }

  test('an answer while the Master is signed in counts, and names the Master as the tester', async () => {
    const setup = await companyWithProvider();
    await testWhile(setup, setup.company.root.agent, async () => {});
    const row = await dbOf(server).selectFrom('sso_providers').select('tested_at').where('id', '=', setup.providerId).executeTakeFirstOrThrow();
    assert.notEqual(row.tested_at, null);
    assert.deepEqual(await auditOf(setup.company.companyId, 'sso.tested'), [{ actor: setup.company.root.id, reason: undefined }]);
  });

  test('an answer through a session its owner ended meanwhile does not count', async () => {
    const setup = await companyWithProvider();
    const { company } = setup;
    const stolen = (await logInAgain(server, company, company.root)).agent;
    await testWhile(setup, stolen, async () => {
      const sessions = (await company.root.agent.get('/api/me/sessions')).body.sessions as Array<{ id: string; current: boolean }>;
      const other = sessions.find((session) => !session.current);
      assert.ok(other, JSON.stringify(sessions));
      assert.equal((await company.root.agent.post(`/api/me/sessions/${other.id}/revoke`)).status, 200);
    });
    await stillUntested(setup);
  });

  test('an answer through the session of a Master who signed out everywhere meanwhile does not count', async () => {
    const setup = await companyWithProvider();
    const { company } = setup;
    const stolen = (await logInAgain(server, company, company.root)).agent;
    await testWhile(setup, stolen, async () => {
      assert.equal((await company.root.agent.post('/api/me/sessions/revoke-all')).status, 200);
      company.root = await logInAgain(server, company, company.root);
    });
    await stillUntested(setup);
  });

  test('an answer for a Master demoted to User meanwhile does not count', async () => {
    const setup = await companyWithProvider();
    const { company } = setup;
    const second = await invitedMember(server, company, company.root.agent, { username: 'second', role: 'master' });
    await testWhile(setup, second.agent, async () => {
      const demoted = await withFreshProof(server, company.root.agent, () => company.root.agent.post(`/api/company/users/${second.id}/role`, { role: 'user' }));
      assert.equal(demoted.status, 200, JSON.stringify(demoted.body));
    });
    await stillUntested(setup);
  });
});
