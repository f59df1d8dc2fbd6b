// A security notice says which sessions the change ended, as it is (securityNoticeEmail,
// src/mail/account-templates.ts). A password changed in My Settings keeps the browser that
// changed it (a fresh session, keepOnlyThisBrowser): "Every session was signed out" told an
// owner whose borrowed session made the change that the borrower was signed out too, when
// theirs is the one session left. A reset through a mailed link does end every session.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';

const NEW_PASSWORD = 'Quartz-Lantern-87?';

for (const engine of await enginesUnderTest()) describe(`The password-changed notice (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Notice Words Co', emailDomain: 'notice-words.test' });
  });
  after(() => server.close());

  test('does not tell the owner every session was signed out while the one that changed it stays signed in', async () => {
    const m = await tenants.member();
    const changed = await m.agent.post('/api/me/password', { currentPassword: m.password, newPassword: NEW_PASSWORD, confirm: NEW_PASSWORD });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal((await m.agent.get('/api/me')).status, 200, 'the browser that made the change is still signed in');
    const notice = await server.mail.waitFor((mail) => mail.to.includes(m.email) && mail.subject === 'Your Gatehouse password was changed');
    assert.ok(!/Every session was signed out/.test(notice.text), `the notice claims what did not happen:\n${notice.text}`);
    assert.ok(!/Every session was signed out/.test(notice.html), 'nor in the HTML part');
    assert.match(notice.text, /Every other session was signed out; the one that made the change stays signed in\./);
  });

  test('says every session ended where every session did: a reset through the mailed link', async () => {
    const m = await tenants.member();
    assert.equal((await server.agent().post('/api/login/forgot-password', { username: m.username, companyName: m.companyName })).status, 200);
    const mail = await server.mail.waitFor((x) => x.to.includes(m.email) && /reset-password\//.test(x.text));
    const token = /reset-password\/([A-Za-z0-9_-]+)/.exec(mail.text)?.[1] ?? assert.fail('a reset link');
    const reset = await server.agent().post('/api/password-reset', { token, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal((await m.agent.get('/api/me')).status, 401, 'the session before the reset ended');
    const notice = await server.mail.waitFor((x) => x.to.includes(m.email) && x.subject === 'Your Gatehouse password was changed');
    assert.match(notice.text, /Every session was signed out\./);
  });
});
