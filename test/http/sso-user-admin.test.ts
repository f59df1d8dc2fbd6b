// A user the company's identity provider signed in has no Gatehouse password and is no
// invitee: listed by their stored status (active, or not enrolled in Gatehouse's 2FA),
// never sent a Sign Up link (it could never be used: setting a password answered 410, the
// link left live), and back active when reactivated. Once "no password" meant invited in
// all three places.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { totpAt } from '../helpers/totp.ts';

for (const engine of await enginesUnderTest()) describe(`Master actions on a user the company's provider signed in (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let idp: TestIdp;
  let sp: { entityId: string; acsUrl: string };
  const root = () => acme.root.agent;

  before(async () => {
    server = await startTestServer({ engine });
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme SSO Admin Probe', 'dana@sso-admin.test');
    idp = makeIdp();
    sp = (await root().get('/api/company/sso')).body.serviceProvider;
    const added = await withFreshProof(server, root(), () =>
      root().post('/api/company/sso/providers', {
        kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false,
      }),
    );
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id as string;
    const started = await withFreshProof(server, root(), () => root().post(`/api/company/sso/providers/${providerId}/test`));
    await postToAcs(sp.acsUrl, signedResponse(idp, { requestId: requestIdFrom(started.body.redirectTo), acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'tester', now: server.clock(), attributes: {} }), root());
    assert.equal((await withFreshProof(server, root(), () => root().post('/api/company/sso', { mode: 'sso-plus-password', breakGlassUserIds: [acme.root.id] }))).status, 200);
    assert.equal((await withFreshProof(server, root(), () => root().post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true }))).status, 200);
  });
  after(() => server?.close());

  async function provisioned(username: string): Promise<string> {
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username, companyName: acme.companyName });
    assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
    const started = await browser.post('/api/login/sso/start');
    const requestId = requestIdFrom(started.body.redirectTo);
    const answer = await postToAcs(sp.acsUrl, signedResponse(idp, { requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: username, now: server.clock(), attributes: { email: `${username}@sso-admin.test` } }), browser);
    assert.equal(answer.location, '/login');
    // Gatehouse's own 2FA after the provider: enrolled, signed in.
    assert.equal((await browser.get('/api/login')).body.step, 'enroll');
    const enrollment = await browser.post('/api/login/enroll/start');
    assert.equal((await browser.post('/api/login/enroll/verify', { code: totpAt(enrollment.body.secret, server.clock()) })).status, 200);
    assert.equal((await browser.get('/api/me')).status, 200);
    server.clock.advance(30_000);
    const row = await dbOf(server).selectFrom('users').select(['id', 'status', 'password_hash']).where('company_id', '=', acme.companyId).where('username', '=', username).executeTakeFirstOrThrow();
    assert.deepEqual([row.status, row.password_hash], ['active', null]);
    return row.id;
  }

  test('listed by their status, and no invitation is resent to them', async () => {
    const carolId = await provisioned('carol');
    assert.equal((await root().get(`/api/company/users/${carolId}`)).body.user.status, 'active');
    const resent = await root().post(`/api/company/users/${carolId}/resend-invite`);
    assert.deepEqual([resent.status, resent.body.error?.code], [409, 'user.already_signed_up']);
    const links = await dbOf(server).selectFrom('action_links').select('id').where('user_id', '=', carolId).execute();
    assert.deepEqual(links, [], 'no Sign Up link made');
  });

  test('deactivated, then reactivated: active again, not invited', async () => {
    const erinId = await provisioned('erin');
    assert.equal((await root().post(`/api/company/users/${erinId}/deactivate`)).status, 200);
    assert.equal((await withFreshProof(server, root(), () => root().post(`/api/company/users/${erinId}/reactivate`))).status, 200);
    assert.equal((await root().get(`/api/company/users/${erinId}`)).body.user.status, 'active');
    const row = await dbOf(server).selectFrom('users').select('status').where('id', '=', erinId).executeTakeFirstOrThrow();
    assert.equal(row.status, 'active');
  });
});
