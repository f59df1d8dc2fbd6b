// A pending email change to a mistyped address could not be withdrawn from My Settings.
// The page says "A new request replaces it", and the natural request, the current address
// again, was refused with `email.unchanged` and left the pending change live: whoever reads
// the mistyped mailbox could still confirm it for 24 hours and receive the account's
// password reset links from then on. Asking for the current address now withdraws the
// change waiting (src/users/email-change.ts keepCurrentEmail). Found by an audit of mail flows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tokenIn } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';

describe('withdrawing a pending email change from My Settings (sqlite)', () => {
  let server: TestServer;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Typo Co', emailDomain: 'typo.test' }));
  });
  after(() => server.close());

  test("asking for one's current address again withdraws the change to the mistyped address", async () => {
    const m = await tenants.member();
    const typo = `${m.username}@gmial.test`;
    assert.equal((await m.agent.post('/api/me/email', { email: typo, password: m.password })).status, 200);
    const mail = await server.mail.waitFor((x) => x.to.includes(typo));
    assert.equal((await m.agent.get('/api/me/profile')).body.pendingEmail, typo);

    // The user sees the typo and asks for their own address back ("A new request replaces it").
    const back = await m.agent.post('/api/me/email', { email: m.email.toUpperCase(), password: m.password });
    assert.deepEqual([back.status, back.body], [200, { pendingEmail: null, expiresAt: null }], JSON.stringify(back.body));

    const pending = (await m.agent.get('/api/me/profile')).body.pendingEmail;
    assert.equal(pending, null, `the change to ${typo} is still pending after asking for the current address`);
    const confirmed = await server.agent().post('/api/me/email/confirm', { token: tokenIn(mail.text, 'confirm-email') });
    assert.equal(confirmed.status, 410, "the stranger at the mistyped address can still take the account's mail");
    assert.equal((await m.agent.get('/api/me/profile')).body.email, m.email);
    // With nothing waiting, the current address again changes nothing and says so.
    const again = await m.agent.post('/api/me/email', { email: m.email, password: m.password });
    assert.deepEqual([again.status, again.body.error?.code], [400, 'email.unchanged']);
    // And it still takes the password: a wrong one withdraws nothing.
    assert.equal((await m.agent.post('/api/me/email', { email: `${m.username}@gmial2.test`, password: m.password })).status, 200);
    assert.equal((await m.agent.post('/api/me/email', { email: m.email, password: 'Not-The-Password-1!' })).status, 400);
    assert.equal((await m.agent.get('/api/me/profile')).body.pendingEmail, `${m.username}@gmial2.test`);
  });
});
