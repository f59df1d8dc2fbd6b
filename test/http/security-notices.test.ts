// A change that adds or replaces a way into an account tells its owner by mail, as a
// password change does: a passkey added (it signs in alone), a key removed, new recovery
// codes. Whoever borrowed a session and knows the password could otherwise plant a way in
// that outlives a later password change, and the owner's mailbox would never hear of it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { policyByClient } from '../helpers/key-policy.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`Security notices for new ways in (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Notice Co', emailDomain: 'notice.test' });
  });
  after(() => server.close());

  type Member = Awaited<ReturnType<typeof tenants.member>>;
  const noticesTo = (owner: Member) => server.mail.messages.filter((m) => m.to.includes(owner.email) && m.subject !== 'Welcome to Gatehouse');
  async function noticeAfter(owner: Member, subject: string, seen: number) {
    await server.mail.waitFor((m) => m.to.includes(owner.email) && m.subject === subject && noticesTo(owner).length > seen);
    const notice = noticesTo(owner).at(-1)!;
    assert.equal(notice.subject, subject);
    assert.ok(notice.text.includes(owner.username) && notice.text.includes(owner.companyName), 'the notice names the account');
    assert.ok(notice.text.includes('If this was not you'), 'and says what to do if it was not them');
    return notice;
  }
  async function addKey(owner: Member, name: string) {
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await owner.agent.post('/api/me/security-keys/options', { password: owner.password });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await owner.agent.post('/api/me/security-keys', { name, response: key.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    return added.body as { id: string };
  }

  test('adding a passkey or security key mails the owner', async () => {
    const owner = await tenants.member();
    const seen = noticesTo(owner).length;
    await addKey(owner, 'someone else’s');
    const notice = await noticeAfter(owner, 'A security key was added to your Gatehouse account', seen);
    assert.match(notice.text, /It can sign in to this account/);
  });

  // A company that requires a key has its users add one at login: whoever has the
  // password and one phished code can plant a key there that signs in alone.
  test('a key added at a login the company policy made add one mails the owner too', async () => {
    const owner = await tenants.member();
    // Saved by the company's API client: the owner has no key to sign in with and save it.
    await (await policyByClient(server, owner.companyId))({ phishingResistant: 'everyone' });
    const seen = noticesTo(owner).filter((m) => m.subject === 'A security key was added to your Gatehouse account').length;
    server.clock.advance(30_000);
    const browser = server.agent();
    await browser.post('/api/login/identify', { username: owner.username, companyName: owner.companyName });
    assert.equal((await browser.post('/api/login/password', { password: owner.password })).body.step, 'totp');
    assert.deepEqual((await browser.post('/api/login/totp', { code: totpAt(owner.totpSecret, server.clock()) })).body, { step: 'key_enroll' });
    const key = new SoftAuthenticator(server.baseUrl, { userVerification: true });
    const options = await browser.post('/api/login/key-enrollment/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await browser.post('/api/login/key-enrollment', { name: 'At login', response: key.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    await server.mail.waitFor(
      (m) => m.to.includes(owner.email) && noticesTo(owner).filter((n) => n.subject === 'A security key was added to your Gatehouse account').length > seen,
    );
  });

  test('removing one mails the owner', async () => {
    const owner = await tenants.member();
    const { id } = await addKey(owner, 'old key');
    await noticeAfter(owner, 'A security key was added to your Gatehouse account', 0);
    const seen = noticesTo(owner).length;
    const removed = await owner.agent.post(`/api/me/security-keys/${id}/remove`, { password: owner.password });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    await noticeAfter(owner, 'A security key was removed from your Gatehouse account', seen);
  });

  test('new recovery codes mail the owner', async () => {
    const owner = await tenants.member();
    const seen = noticesTo(owner).length;
    const made = await owner.agent.post('/api/me/recovery-codes', { password: owner.password, code: totpAt(owner.totpSecret, server.clock()) });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    await noticeAfter(owner, 'New Gatehouse recovery codes were made', seen);
  });

  test('a refused change mails nothing', async () => {
    const owner = await tenants.member();
    const refused = await owner.agent.post('/api/me/security-keys/options', { password: 'not-the-password' });
    assert.equal(refused.status, 400);
    const codes = await owner.agent.post('/api/me/recovery-codes', { password: owner.password, code: '000000' });
    assert.notEqual(codes.status, 200);
    // A notice the refusals queued would be on its way with this welcome-free mail below.
    server.clock.advance(31_000);
    await addKey(owner, 'real key');
    await noticeAfter(owner, 'A security key was added to your Gatehouse account', 0);
    assert.deepEqual(noticesTo(owner).map((m) => m.subject), ['A security key was added to your Gatehouse account']);
  });
});
