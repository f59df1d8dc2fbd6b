// In 'sso-only' mode a user who is not break-glass cannot use a Gatehouse password at all,
// yet "Forgot password" mailed them a working reset link ("After choosing a new password
// you log in as usual"), which set the password and ended their sessions; the login then
// sent them to the provider. They now get the "managed by your company" mail that users
// created by single sign-on get, and no link, by the login's own rule (passwordClosedFor);
// a link mailed before the mode changed sets nothing. Found by an audit of mail flows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dbOf, invitedMember, switchedOnOidcProvider } from '../helpers/company-admin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';

describe("forgot password under 'sso-only' (sqlite)", () => {
  let server: TestServer;
  let tenants: Tenants;
  let stopIdp: (() => unknown) | undefined;
  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Closed Co', emailDomain: 'closed.test' }));
  });
  after(async () => {
    await stopIdp?.();
    await server.close();
  });

  test('a user whose password sso-only closed gets no reset link', async () => {
    const company = await tenants.signedIn();
    const email = 'mia@closed.test';
    await invitedMember(server, company, company.root.agent, { username: 'mia', role: 'user', email });
    // A link mailed while her password still opened the login.
    assert.equal((await server.agent().post('/api/login/forgot-password', { username: 'mia', companyName: company.companyName })).status, 200);
    const earlier = await server.mail.waitFor((m) => m.to.includes(email) && /\/reset-password\//.test(m.text));
    const earlierToken = /\/reset-password\/([A-Za-z0-9_-]+)/.exec(earlier.text)?.[1] as string;
    assert.equal((await server.agent().get(`/api/password-reset/${earlierToken}`)).status, 200);
    server.clock.advance(121_000); // past the reset mail cap (one a minute, in any minute)
    const { idp } = await switchedOnOidcProvider(server, company);
    stopIdp = () => idp.close();
    const mode = await company.root.agent.post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [company.root.id] });
    assert.equal(mode.status, 200, JSON.stringify(mode.body));
    const identified = await server.agent().post('/api/login/identify', { username: 'mia', companyName: company.companyName });
    assert.equal(identified.body.step, 'sso', 'her password is closed: the login sends her to the provider');

    assert.equal((await server.agent().post('/api/login/forgot-password', { username: 'mia', companyName: company.companyName })).status, 200);
    const mail = await server.mail.waitFor((m) => m.to.includes(email) && m !== earlier && /password/i.test(m.subject) && !/changed/.test(m.subject));
    assert.doesNotMatch(mail.text, /\/reset-password\//, `a reset link for a password she cannot use:\n${mail.text}`);
    assert.equal(mail.subject, 'Your Gatehouse password is managed by your company');
    // The link mailed before sets nothing now.
    assert.equal((await server.agent().get(`/api/password-reset/${earlierToken}`)).status, 410);
    const used = await server.agent().post('/api/password-reset', { token: earlierToken, password: 'Correct-Horse-Battery-9', confirm: 'Correct-Horse-Battery-9' });
    assert.equal(used.status, 410, JSON.stringify(used.body));
    // The Root Master, whose password stays open (break-glass), still gets a link.
    assert.equal((await server.agent().post('/api/login/forgot-password', { username: company.root.username, companyName: company.companyName })).status, 200);
    const rootEmail = (await dbOf(server).selectFrom('users').select('email').where('id', '=', company.root.id).executeTakeFirstOrThrow()).email;
    const rootMail = await server.mail.waitFor((m) => m.to.includes(rootEmail) && /\/reset-password\//.test(m.text));
    assert.ok(rootMail);
  });
});
