// The company's identity provider changing a user's email address at sign-in, over HTTP,
// on both engines. The new address is stored the way a confirmed change in My Settings
// stores it (changeUserEmail, src/users/email-change.ts): what was mailed to the old
// address, a password reset link, and a pending email change (its confirm link and the
// old address's cancel link), stops working. A sign-in that brings the same address
// changes nothing and revokes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, switchedOnOidcProvider, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD, tokenIn } from '../helpers/journey.ts';
import type { TestOidcIdp } from '../helpers/oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const RESET_SUBJECT = 'Reset your Gatehouse password';

for (const engine of await enginesUnderTest()) describe(`an address changed by the identity provider (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestOidcIdp;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Okta Mail Co', 'root@oktamail.test');
    ({ idp } = await switchedOnOidcProvider(server, company, { username: 'tester', email: 'tester@okta.test' }));
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  /** A reset link mailed to `email` for `username`, the token in it. */
  async function resetLinkFor(username: string, email: string) {
    assert.equal((await server.agent().post('/api/login/forgot-password', { username, companyName: company.companyName })).status, 200);
    const mail = await server.mail.waitFor((m) => m.subject === RESET_SUBJECT && m.to.includes(email));
    return tokenIn(mail.text, 'reset-password');
  }

  /** The user signs in through the provider, which knows them at `email`. */
  async function signInThroughProvider(username: string, email: string) {
    await idp.nextUser({ sub: `sub-${username}`, claims: { preferred_username: username, email }, amr: ['pwd'] });
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username, companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const back = await idp.signIn(started.body.redirectTo);
    assert.equal((await browser.get(back.slice(server.baseUrl.length))).headers.get('location'), '/login');
  }

  const emailOf = async (person: Person) =>
    (await dbOf(server).selectFrom('users').select('email').where('company_id', '=', company.companyId).where('id', '=', person.id).executeTakeFirstOrThrow()).email;

  test('a new address from the provider ends the reset link and the pending email change sent for the old one', async () => {
    const uma = await invitedMember(server, company, company.root.agent, { username: 'uma', role: 'master', email: 'uma@old-mail.test' });
    const resetToken = await resetLinkFor('uma', 'uma@old-mail.test');
    assert.equal((await uma.agent.post('/api/me/email', { email: 'uma@elsewhere.test', password: STRONG_PASSWORD })).status, 200);
    const confirmToken = tokenIn((await server.mail.waitFor((m) => m.to.includes('uma@elsewhere.test'))).text, 'confirm-email');
    const cancelToken = tokenIn((await server.mail.waitFor((m) => m.to.includes('uma@old-mail.test') && m.text.includes('/cancel-email/'))).text, 'cancel-email');

    await signInThroughProvider('uma', 'uma@new-mail.test');
    assert.equal(await emailOf(uma), 'uma@new-mail.test');

    assert.equal((await server.agent().get(`/api/password-reset/${resetToken}`)).status, 410, 'the reset page for the old address is gone');
    const reset = await server.agent().post('/api/password-reset', { token: resetToken, password: 'Quartz-Lantern-87?', confirm: 'Quartz-Lantern-87?' });
    assert.deepEqual([reset.status, reset.body.error?.code], [410, 'link.invalid'], "the old address's link sets no password");
    const confirmed = await server.agent().post('/api/me/email/confirm', { token: confirmToken });
    assert.equal(confirmed.status, 410, 'a change asked for from the old address does not override the provider');
    assert.equal((await server.agent().post('/api/me/email/cancel', { token: cancelToken })).status, 410, 'nothing left to cancel');
    assert.equal(await emailOf(uma), 'uma@new-mail.test');

    const updated = await dbOf(server).selectFrom('audit_events').select('detail').where('company_id', '=', company.companyId).where('action', '=', 'sso.user_updated').where('target', '=', uma.id).execute();
    assert.ok(updated.some((e) => (JSON.parse(e.detail ?? '{}').fields as string[]).includes('email')), 'the change is audited');
  });

  test('a sign-in that brings the same address leaves a reset link working', async () => {
    const ned = await invitedMember(server, company, company.root.agent, { username: 'ned', role: 'master', email: 'ned@same-mail.test' });
    const resetToken = await resetLinkFor('ned', 'ned@same-mail.test');
    await signInThroughProvider('ned', 'ned@same-mail.test');
    assert.equal(await emailOf(ned), 'ned@same-mail.test');
    assert.equal((await server.agent().get(`/api/password-reset/${resetToken}`)).status, 200);
  });
});
