// While a provider is on, the company always keeps a break-glass Master with a password and
// 2FA: every admin change that would remove the last one is refused (and rolled back),
// also when two Masters remove the last two at the same moment.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, invitedMember, logInAgain, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';

for (const engine of await enginesUnderTest()) describe(`the last break-glass Master stays (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let ops: Person;
  let mia: Person;
  let max: Person;
  let idp: ReturnType<typeof makeIdp>;
  let sp: { entityId: string; acsUrl: string };
  let providerId: string;

  const root = () => company.root.agent;
  const user = (id: string) => dbOf(server).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  before(async () => {
    server = await startTestServer({ engine });
    const operator = await operatorAgent(server);
    company = await companyWithRootMaster(server, operator, 'Acme Break Glass', 'dana@glass.test');
    ops = await invitedMember(server, company, root(), { username: 'ops', role: 'master' });
    mia = await invitedMember(server, company, root(), { username: 'mia', role: 'master' });
    max = await invitedMember(server, company, root(), { username: 'max', role: 'master' });

    idp = makeIdp();
    sp = (await root().get('/api/company/sso')).body.serviceProvider;
    const added = await root().post('/api/company/sso/providers', {
      kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    providerId = added.body.provider.id;
    const started = await root().post(`/api/company/sso/providers/${providerId}/test`);
    const requestId = requestIdFrom(started.body.redirectTo);
    await postToAcs(sp.acsUrl, signedResponse(idp, {
      requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'tester', now: server.clock(), attributes: {},
    }), root());
    const marked = await root().post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [mia.id, max.id] });
    assert.equal(marked.status, 200, JSON.stringify(marked.body));
    const on = await root().post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
  });
  after(() => server?.close());

  test("in 'sso-only' mode a passkey signs in only break-glass users; others get the generic refusal", async () => {
    const keys = new Map<string, SoftAuthenticator>();
    for (const person of [mia, ops]) {
      const key = new SoftAuthenticator(server.baseUrl);
      const options = await person.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
      assert.equal(options.status, 200, JSON.stringify(options.body));
      assert.equal((await person.agent.post('/api/me/security-keys', { response: key.register(options.body) })).status, 200);
      keys.set(person.id, key);
    }
    const passkeyLogin = async (person: Person) => {
      const browser = server.agent();
      const options = await browser.post('/api/login/passkey/options', {});
      const answer = await browser.post('/api/login/passkey', { response: keys.get(person.id)!.assert(options.body) });
      return { answer, me: await browser.get('/api/me') };
    };
    const breakGlass = await passkeyLogin(mia);
    assert.equal(breakGlass.answer.status, 200, JSON.stringify(breakGlass.answer.body));
    assert.equal(breakGlass.me.body.user.username, 'mia');

    const closed = await passkeyLogin(ops);
    assert.deepEqual([closed.answer.status, closed.answer.body.error.code], [401, 'webauthn.not_accepted']);
    assert.equal(closed.me.status, 401);
    const refusal = await dbOf(server).selectFrom('audit_events').select('detail').where('action', '=', 'login.failed').where('target', '=', ops.id).execute();
    assert.ok(refusal.some((e) => JSON.parse(e.detail ?? '{}').reason === 'sso_only'));

    // With "SSO, plus password" a passkey is as good as a password.
    assert.equal((await root().post('/api/company/sso', { mode: 'sso-plus-password' })).status, 200);
    assert.equal((await passkeyLogin(ops)).answer.status, 200);
    assert.equal((await root().post('/api/company/sso', { mode: 'sso-only' })).status, 200);
  });

  test("no provider signs the Root Master in, whichever Master set it up; 'sso-only' never closes the Root Master's password", async () => {
    // A Master (not the Root Master) makes the provider trust its MFA: the provider alone
    // would then be the whole sign-in.
    const settings = { kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID' };
    assert.equal((await ops.agent.post(`/api/company/sso/providers/${providerId}`, { ...settings, trustProviderMfa: true })).status, 200);
    try {
      const before = await user(company.root.id);
      for (const nameId of [company.root.username, company.root.username.toUpperCase(), ` ${company.root.username} `]) {
        server.clock.advance(30_000);
        const browser = server.agent();
        assert.equal((await browser.post('/api/login/identify', { username: 'anyone', companyName: company.companyName })).body.step, 'sso');
        const started = await browser.post('/api/login/sso/start');
        const xml = signedResponse(idp, {
          requestId: requestIdFrom(started.body.redirectTo), acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId, now: server.clock(),
          authnContext: 'https://refeds.org/profile/mfa', attributes: { email: 'ops@attacker.test', displayName: 'Not Dana' },
        });
        assert.equal((await postToAcs(sp.acsUrl, xml, browser)).location, '/login?sso=failed', nameId);
        assert.equal((await browser.get('/api/login')).body.step, 'sso', nameId);
        assert.equal((await browser.get('/api/me')).status, 401, nameId);
      }
      const reasons = await dbOf(server).selectFrom('audit_events').select('detail').where('action', '=', 'sso.login_failed').execute();
      assert.ok(reasons.some((e) => /Root Master/.test(JSON.parse(e.detail ?? '{}').reason)), 'refused as the Root Master');
      const after = await user(company.root.id);
      assert.deepEqual([after.email, after.display_name, after.role], [before.email, before.display_name, 'root_master']);
      // In 'sso-only' mode, not named break-glass, the Root Master still signs in with the
      // password and code ("Use password instead").
      assert.equal((await dbOf(server).selectFrom('companies').select('sso_mode').where('id', '=', company.companyId).executeTakeFirstOrThrow()).sso_mode, 'sso-only');
      assert.equal(before.sso_break_glass, 0);
      const again = await logInAgain(server, company, company.root);
      assert.equal((await again.agent.get('/api/me')).body.user.role, 'root_master');
    } finally {
      assert.equal((await ops.agent.post(`/api/company/sso/providers/${providerId}`, { ...settings, trustProviderMfa: false })).status, 200);
    }
  });

  test('two Masters deactivating the last two break-glass users at once: exactly one succeeds', async () => {
    const answers = await Promise.all([
      root().post(`/api/company/users/${mia.id}/deactivate`),
      ops.agent.post(`/api/company/users/${max.id}/deactivate`),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 409], JSON.stringify(answers.map((a) => a.body)));
    const refusal = answers.find((a) => a.status === 409);
    assert.equal(refusal?.body.error.code, 'user.last_break_glass');
    assert.match(refusal?.body.error.message, /break-glass/);
    const states = [await user(mia.id), await user(max.id)].map((u) => u.status).sort();
    assert.deepEqual(states, ['active', 'disabled']);
    // Put things back: reactivating is always allowed.
    const disabled = (await user(mia.id)).status === 'disabled' ? mia : max;
    assert.equal((await root().post(`/api/company/users/${disabled.id}/reactivate`)).status, 200);
  });

  test('the last one cannot be deactivated, deleted, demoted, have 2FA reset or be un-marked', async () => {
    // Only what happens from here counts (the race above may have deactivated Max once).
    const maxEvents = async () => dbOf(server).selectFrom('audit_events').select(['id', 'action']).where('target', '=', max.id).execute();
    const earlier = new Set((await maxEvents()).map((e) => e.id));
    // Max is the only break-glass user left once Mia is un-marked (allowed: Max remains).
    assert.equal((await root().post('/api/company/sso', { breakGlassUserIds: [max.id] })).status, 200);
    const refusals: Array<[string, Promise<{ status: number; body: any }>]> = [
      ['deactivate', ops.agent.post(`/api/company/users/${max.id}/deactivate`)],
      ['delete', ops.agent.post(`/api/company/users/${max.id}/delete`)],
      ['demote', ops.agent.post(`/api/company/users/${max.id}/role`, { role: 'user' })],
      ['reset 2FA', ops.agent.post(`/api/company/users/${max.id}/reset-2fa`)],
    ];
    for (const [what, pending] of refusals) {
      const answer = await pending;
      assert.deepEqual([answer.status, answer.body.error?.code], [409, 'user.last_break_glass'], `${what}: ${JSON.stringify(answer.body)}`);
    }
    // Nor by Max in My Settings: the last break-glass Master's own 2FA stays too. (A fresh
    // session: the race above may have deactivated Max, which ended his.)
    max = await logInAgain(server, company, max);
    server.clock.advance(30_000);
    const own = await max.agent.post('/api/me/two-factor/reset', { password: STRONG_PASSWORD, code: totpAt(max.totpSecret, server.clock()) });
    assert.deepEqual([own.status, own.body.error?.code], [409, 'user.last_break_glass'], JSON.stringify(own.body));
    const unmark = await root().post('/api/company/sso', { breakGlassUserIds: [] });
    assert.deepEqual([unmark.status, unmark.body.error.code], [409, 'sso.break_glass_required']);
    const swap = await root().post('/api/company/sso', { breakGlassUserIds: [ops.id] });
    assert.equal(swap.status, 200, 'another ready Master may take over');
    assert.equal((await root().post('/api/company/sso', { breakGlassUserIds: [max.id] })).status, 200);

    const kept = await user(max.id);
    assert.deepEqual([kept.status, kept.role, kept.totp_secret !== null, kept.sso_break_glass], ['active', 'master', true, 1]);
    const actions = (await maxEvents()).filter((e) => !earlier.has(e.id)).map((e) => e.action);
    for (const action of ['user.deactivated', 'user.deleted', 'user.role_changed', 'user.2fa_reset', 'totp.reset_by_self']) assert.ok(!actions.includes(action), action);
  });

  test('nor can a 2FA reset under the two-person rule: refused when asked, and at approval if it became the last', async () => {
    assert.equal((await root().post('/api/company/policy', { twoPerson2faReset: true })).status, 200);
    const early = await ops.agent.post(`/api/company/users/${max.id}/reset-2fa`);
    assert.deepEqual([early.status, early.body.error?.code], [409, 'user.last_break_glass'], 'refused when asked, not left pending');
    // With Mia ready too the request waits; then Max becomes the last again before approval.
    assert.equal((await root().post('/api/company/sso', { breakGlassUserIds: [max.id, mia.id] })).status, 200);
    const asked = await ops.agent.post(`/api/company/users/${max.id}/reset-2fa`);
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const approvalId = asked.body.approvalId;
    assert.equal((await root().post('/api/company/sso', { breakGlassUserIds: [max.id] })).status, 200);
    const approved = await root().post(`/api/company/approvals/${approvalId}/approve`);
    assert.deepEqual([approved.status, approved.body.error?.code], [409, 'user.last_break_glass']);
    assert.ok((await user(max.id)).totp_secret !== null);
    const waiting = (await root().get('/api/company/approvals')).body.approvals;
    assert.ok(waiting.some((a: { id: string }) => a.id === approvalId));
    // With a second break-glass Master the same approval goes through.
    assert.equal((await root().post('/api/company/sso', { breakGlassUserIds: [max.id, mia.id] })).status, 200);
    assert.equal((await root().post(`/api/company/approvals/${approvalId}/approve`)).status, 200);
    assert.equal((await user(max.id)).totp_secret, null);
    assert.equal((await root().post('/api/company/policy', { twoPerson2faReset: false })).status, 200);
  });

  test('the Root Master transfer keeps it: handing the role to the last break-glass Master works', async () => {
    assert.equal((await root().post('/api/company/sso', { breakGlassUserIds: [mia.id] })).status, 200);
    const transfer = await root().post(`/api/company/users/${mia.id}/transfer-root-master`);
    assert.equal(transfer.status, 200, JSON.stringify(transfer.body));
    assert.equal((await user(mia.id)).role, 'root_master');
    // The new Root Master is still the company's break-glass user, so she cannot be un-marked.
    const unmark = await root().post('/api/company/sso', { breakGlassUserIds: [] });
    assert.deepEqual([unmark.status, unmark.body.error.code], [409, 'sso.break_glass_required']);
  });

  test('a key counts as the break-glass second factor, and a 2FA reset that would take it is refused', async () => {
    // Ops enrolled a key in the first test; as a user who chose a key instead of the app.
    await dbOf(server).updateTable('users').set({ totp_secret: null, totp_enrolled_at: null }).where('id', '=', ops.id).execute();
    const keyOnly = await root().post('/api/company/sso', { breakGlassUserIds: [ops.id] });
    assert.equal(keyOnly.status, 200, JSON.stringify(keyOnly.body));
    // The reset clears the app's secret and the keys: checked after both, so it is refused.
    const reset = await root().post(`/api/company/users/${ops.id}/reset-2fa`);
    assert.deepEqual([reset.status, reset.body.error?.code], [409, 'user.last_break_glass'], JSON.stringify(reset.body));
    const keys = await dbOf(server).selectFrom('webauthn_credentials').select('id').where('user_id', '=', ops.id).execute();
    assert.equal(keys.length, 1, 'the refused reset took nothing');
    assert.equal((await root().post('/api/company/sso', { breakGlassUserIds: [mia.id] })).status, 200);
  });

  test('without a provider on, the same changes are ordinary', async () => {
    const providers = (await root().get('/api/company/sso')).body.providers as Array<{ id: string }>;
    for (const p of providers) assert.equal((await root().post(`/api/company/sso/providers/${p.id}/enabled`, { enabled: false })).status, 200);
    assert.equal((await root().post('/api/company/sso', { breakGlassUserIds: [] })).status, 200);
    assert.equal((await ops.agent.post(`/api/company/users/${max.id}/deactivate`)).status, 200);
  });
});
