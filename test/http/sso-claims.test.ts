// What a company's identity provider asserts is held to the rules every other way in
// holds it to (src/contract/fields.ts), over HTTP, on both engines. The provider's claims
// are typed by its users or admins, and Gatehouse mails what it stores to whoever asks
// for a password reset: a username that is a sentence with a link would be repeated
// under the platform's domain, and an "email" that is an address list would send the
// reset link to a second mailbox (SECURITY-CHECKS 30/31).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, inviteMail, invitedMember, operatorAgent, switchedOnOidcProvider, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import type { TestOidcIdp } from '../helpers/oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const BAD_USERNAMES: Array<[string, string]> = [
  ['a sentence with a link', 'Your account is suspended - verify now at https://gatehouse-verify.example/login'],
  ['spaces', 'carol smith'],
  ['a slash and a colon', 'https://evil.example'],
  ['angle brackets', '<b>boss</b>'],
  ['a comma', 'ann,bob'],
  ['one character', 'x'],
  ['65 characters', 'a'.repeat(65)],
];

// Each an "email" claim that is not one address; `evil` marks the mailbox that must get nothing.
const BAD_EMAILS: Array<[string, string]> = [
  ['a list with a comma', 'who@claims.test, collector@evil.test'],
  ['a list with a semicolon', 'who@claims.test;collector@evil.test'],
  ['a CR/LF and a header', 'who@claims.test\r\nBcc: collector@evil.test'],
  ['a bare line feed', 'who@claims.test\ncollector@evil.test'],
  ['a display name in angle brackets', 'Who <collector@evil.test>'],
  ['angle brackets alone', '<collector@evil.test>'],
  ['group syntax', 'a: collector@evil.test;'],
  ['a group with two members', 'friends: who@claims.test, collector@evil.test;'],
];

for (const engine of await enginesUnderTest()) describe(`the provider's claims, held to the contract (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestOidcIdp;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Claims Co', 'root@claims.test');
    ({ idp } = await switchedOnOidcProvider(server, company, { username: 'tester', email: 'tester@okta.test' }));
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  /** One sign-in through the provider, which asserts `claims`; where the browser lands. */
  async function signIn(sub: string, claims: Record<string, unknown>) {
    server.clock.advance(1_000);
    await idp.nextUser({ sub, claims, amr: ['pwd'] });
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: 'newcomer', companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const back = await idp.signIn(started.body.redirectTo);
    return (await browser.get(back.slice(server.baseUrl.length))).headers.get('location');
  }

  const db = () => dbOf(server);
  const userCount = async () => (await db().selectFrom('users').select('id').where('company_id', '=', company.companyId).execute()).length;
  const lastRefusal = async () => {
    const events = await db().selectFrom('audit_events').select('detail').where('company_id', '=', company.companyId).where('action', '=', 'sso.login_failed').orderBy('id', 'desc').limit(1).execute();
    return JSON.parse(events[0]?.detail ?? '{}').reason as string;
  };
  const queuedTo = async (address: string) => (await db().selectFrom('outbox').select('id').where('recipient', 'like', `%${address}%`).execute()).length;

  for (const [what, username] of BAD_USERNAMES) {
    test(`a username with ${what} signs nobody in, and no mail repeats it`, async () => {
      const before = await userCount();
      const victim = `victim-${before}@victim.test`;
      assert.equal(await signIn(`sub-${what}`, { preferred_username: username, email: victim, name: 'Ann' }), '/login?sso=failed');
      assert.equal(await userCount(), before, 'no user was created');
      assert.match(await lastRefusal(), /username is refused/);
      // Anyone may ask for a reset by that name: nothing is queued for the provider's address.
      if (username.length <= 100) await server.agent().post('/api/login/forgot-password', { username, companyName: company.companyName });
      assert.equal(await queuedTo(victim), 0, `a mail was queued to ${victim}`);
    });
  }

  test("a new user's email claim that is not one address refuses the sign-in", async () => {
    for (const [what, email] of BAD_EMAILS) {
      const before = await userCount();
      const username = `new-${before}`;
      assert.equal(await signIn(`sub-${username}`, { preferred_username: username, email }), '/login?sso=failed', what);
      assert.equal(await userCount(), before, `${what}: no user was created`);
      assert.match(await lastRefusal(), /email is refused/, what);
    }
    // One address, or none, creates the user as before.
    assert.equal(await signIn('sub-valid', { preferred_username: 'valid.one', email: 'valid.one@claims.test' }), '/login');
    assert.equal(await signIn('sub-none', { preferred_username: 'no.mail' }), '/login');
    const created = await db().selectFrom('users').select(['username', 'email']).where('company_id', '=', company.companyId).where('username', 'in', ['valid.one', 'no.mail']).orderBy('username').execute();
    assert.deepEqual(created.map((row) => ({ ...row })), [{ username: 'no.mail', email: '' }, { username: 'valid.one', email: 'valid.one@claims.test' }]);
  });

  test("an existing user's email claim that is not one address keeps the stored one, and the reset link goes to it alone", async () => {
    const uma = await invitedMember(server, company, company.root.agent, { username: 'uma', role: 'master', email: 'uma@claims.test' });
    for (const [what, email] of BAD_EMAILS) {
      assert.equal(await signIn('sub-uma', { preferred_username: 'uma', email }), '/login', `${what}: uma still signs in`);
      const stored = await db().selectFrom('users').select('email').where('id', '=', uma.id).executeTakeFirstOrThrow();
      assert.equal(stored.email, 'uma@claims.test', what);
    }
    assert.equal((await server.agent().post('/api/login/forgot-password', { username: 'uma', companyName: company.companyName })).status, 200);
    const mail = await server.mail.waitFor((m) => m.subject === 'Reset your Gatehouse password' && m.to.includes('uma@claims.test'));
    const recipients = [mail.parsed.to].flat().flatMap((a) => a?.value ?? []).map((a) => a.address);
    assert.deepEqual(recipients, ['uma@claims.test']);
    assert.equal(await queuedTo('evil.test'), 0, 'nothing was ever queued for the second mailbox');
  });

  test('a display name the name rule refuses is not stored; one with a link is stored but no mail shows it', async () => {
    // New: an invisible character in the name; the username stands in.
    assert.equal(await signIn('sub-zed', { preferred_username: 'zed', email: 'zed@claims.test', name: 'Z\u200bed' }), '/login');
    const zed = await db().selectFrom('users').select('display_name').where('company_id', '=', company.companyId).where('username', '=', 'zed').executeTakeFirstOrThrow();
    assert.equal(zed.display_name, 'zed');

    const vic = await invitedMember(server, company, company.root.agent, { username: 'vic', role: 'master', email: 'vic@claims.test' });
    const displayName = async () => (await db().selectFrom('users').select('display_name').where('id', '=', vic.id).executeTakeFirstOrThrow()).display_name;
    assert.equal(await signIn('sub-vic', { preferred_username: 'vic', email: 'vic@claims.test', name: 'Vic Cole' }), '/login');
    assert.equal(await displayName(), 'Vic Cole');
    // Existing: a refused name leaves the stored one.
    assert.equal(await signIn('sub-vic', { preferred_username: 'vic', email: 'vic@claims.test', name: 'Vic\u202eeloC' }), '/login');
    assert.equal(await displayName(), 'Vic Cole');

    // A name with a link passes the name rule (it is a name field) but never reaches a mail.
    for (const [i, name] of ['Prize desk https://prize.example/claim', 'see www.prize.example', 'write to desk@prize.example', 'prize.example'].entries()) {
      assert.equal(await signIn('sub-vic', { preferred_username: 'vic', email: 'vic@claims.test', name }), '/login');
      assert.equal(await displayName(), name);
      const invitee = `invitee-${i}@claims.test`;
      assert.equal((await vic.agent.post('/api/company/users', { email: invitee, username: `invitee-${i}`, role: 'user' })).status, 201);
      const { mail } = await inviteMail(server, company.companyName, invitee);
      for (const part of [mail.subject, mail.text, mail.html]) assert.ok(!part.includes('prize.example'), `${name}: ${part.split('\n')[2]}`);
      assert.match(mail.text, /You have been invited/);
    }
  });
});
