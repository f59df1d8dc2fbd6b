// A user the company's provider signed in (created just in time, status active, no
// Gatehouse password) who has not yet finished a login (they stopped at Gatehouse's own
// 2FA enrollment: last_login_at is null) is no invitee. "Ever active" was read as "has a
// password or a completed login": deactivated and reactivated, such a user came back
// 'invited', and the compliance report listed an invitation pending (with an invite age,
// while deactivated too) that nobody sent. users.activated_at (migration 0035), set by the
// provider's sign-in as by a Sign Up, is what everActive reads now (src/users/store.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, switchedOnSamlProvider, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

describe('a provider-made user who stopped at 2FA enrollment, deactivated and reactivated (sqlite)', () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let idp: TestIdp;
  let sp: { entityId: string; acsUrl: string };
  const root = () => acme.root.agent;

  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme SSO Halfway', 'dana@sso-halfway.test');
    idp = makeIdp();
    ({ sp } = await switchedOnSamlProvider(root(), acme.root.id, idp, { trustProviderMfa: false, mode: 'sso-plus-password', now: server.clock }));
  });
  after(() => server?.close());

  /** A sign-in through the provider: the step the browser is at afterwards ('identify' when refused). */
  async function providerSignIn(username: string): Promise<string> {
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username, companyName: acme.companyName });
    assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
    const started = await browser.post('/api/login/sso/start');
    const requestId = requestIdFrom(started.body.redirectTo);
    await postToAcs(sp.acsUrl, signedResponse(idp, { requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: username, now: server.clock(), attributes: { email: `${username}@sso-halfway.test` } }), browser);
    return (await browser.get('/api/login')).body.step as string;
  }

  test('active again after reactivation, and no invitee in the compliance report', async () => {
    assert.equal(await providerSignIn('fay'), 'enroll', 'created by the provider, on to 2FA enrollment (and the browser closed there)');
    const fay = await dbOf(server).selectFrom('users').select(['id', 'status']).where('company_id', '=', acme.companyId).where('username', '=', 'fay').executeTakeFirstOrThrow();
    assert.equal(fay.status, 'active');
    server.clock.advance(60_000);
    assert.equal((await root().post(`/api/company/users/${fay.id}/deactivate`)).status, 200);
    const whileDisabled = (await root().get('/api/company/compliance')).body.users.find((u: any) => u.id === fay.id);
    assert.equal((await withFreshProof(server, root(), () => root().post(`/api/company/users/${fay.id}/reactivate`))).status, 200);
    const status = (await dbOf(server).selectFrom('users').select('status').where('id', '=', fay.id).executeTakeFirstOrThrow()).status;
    const listed = (await root().get('/api/company/compliance')).body.users.find((u: any) => u.id === fay.id);
    const step = await providerSignIn('fay');
    assert.deepEqual(
      { status, pending: listed.pending, inviteAgeDays: listed.inviteAgeDays, inviteAgeWhileDisabled: whileDisabled.inviteAgeDays, stepAfterProvider: step },
      { status: 'active', pending: 'not_enrolled', inviteAgeDays: null, inviteAgeWhileDisabled: null, stepAfterProvider: 'enroll' },
    );
  });

  test('an invitation the provider took up is a sign-up too', async () => {
    const invited = await withFreshProof(server, root(), () => root().post('/api/company/users', { email: 'gus@sso-halfway.test', username: 'gus', role: 'user' }));
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    assert.equal(await providerSignIn('gus'), 'enroll');
    const id = invited.body.user.id as string;
    assert.equal((await root().post(`/api/company/users/${id}/deactivate`)).status, 200);
    assert.equal((await withFreshProof(server, root(), () => root().post(`/api/company/users/${id}/reactivate`))).status, 200);
    const listed = (await root().get('/api/company/compliance')).body.users.find((u: any) => u.id === id);
    assert.deepEqual({ status: listed.status, pending: listed.pending }, { status: 'active', pending: 'not_enrolled' });
  });
});
