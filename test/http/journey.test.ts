// The seed's journey over HTTP, from account request to the dashboard's data.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { ACME_REQUEST, approvedCompany, logIn, signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { totpAt } from '../helpers/totp.ts';

for (const engine of await enginesUnderTest()) describe(`the journey from request to dashboard (${engine})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ engine });
  });
  after(() => server.close());

  test('request, approve, welcome mail, set password, log in, enroll 2FA, dashboard', async () => {
    const operator = await signedInOperator(server);
    const { mail, link, username } = await approvedCompany(server, operator.agent);

    assert.equal(mail.subject, 'Welcome to Gatehouse');
    assert.match(mail.from, /noreply@gatehouse\.test/);
    assert.ok(mail.html.includes('Sign Up'), 'HTML part has the Sign Up button');
    assert.ok(mail.text.includes(ACME_REQUEST.companyName) && mail.text.includes(username));
    assert.ok(link.startsWith(server.baseUrl), 'the link is built from the public URL');
    assert.equal(username, 'dana');

    const page = await server.agent().get(`/api/signup/${link.split('/').pop()}`);
    assert.equal(page.status, 200);
    assert.equal(page.body.companyName, ACME_REQUEST.companyName);
    assert.equal(page.body.username, 'dana');

    await signUp(server, link);

    const browser = server.agent();
    const { totpSecret } = await logIn(server, browser, { username: 'dana', companyName: 'acme  managed it', password: STRONG_PASSWORD });
    assert.equal(totpSecret.length, 32, '160-bit secret in base32');

    const me = await browser.get('/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.user.username, 'dana');
    assert.equal(me.body.user.role, 'root_master');
    assert.equal(me.body.company.name, ACME_REQUEST.companyName);
    assert.equal(me.body.company.status, 'active');
    assert.deepEqual(me.body.session.amr, ['pwd', 'otp']);

    // The next login asks for the code instead of enrolling again.
    const again = server.agent();
    await again.post('/api/login/identify', { username: 'dana', companyName: ACME_REQUEST.companyName });
    const step = await again.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.equal(step.body.step, 'totp');
    const done = await again.post('/api/login/totp', { code: totpAt(totpSecret, server.clock()) });
    assert.equal(done.status, 200);

    const out = await browser.post('/api/logout');
    assert.equal(out.status, 200);
    assert.equal((await browser.get('/api/me')).status, 401);
  });
});
