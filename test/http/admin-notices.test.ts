// A change to the company that would outlive a Master's recovery (a new Master, the Root
// Master role moved, single sign-on set up or switched on, the policy changed, someone's
// 2FA reset) tells every active Master and the Root Master by mail, the actor too: a
// stolen session's use reaches its owner's mailbox. The person concerned hears of what
// was done to them (their 2FA reset, their address replaced by the provider). A change
// that is refused mails nobody: the notice is queued in the change's transaction.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, invitedMember, logInAgain, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startOidcIdp, type TestOidcIdp } from '../helpers/oidc-idp.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const SUBJECTS = {
  masterInvited: 'A Master was invited to your Gatehouse company',
  masterMade: 'A user was made a Master of your Gatehouse company',
  rootTransferred: 'The Root Master role of your Gatehouse company was transferred',
  providerAdded: 'A single sign-on provider was added to your Gatehouse company',
  providerChanged: 'A single sign-on provider of your Gatehouse company was changed',
  ssoOn: 'Single sign-on was switched on for your Gatehouse company',
  ssoSettings: 'The single sign-on settings of your Gatehouse company were changed',
  policy: 'The security policy of your Gatehouse company was changed',
  twoFactorReset: "A user's two-factor authentication was reset in your Gatehouse company",
  yourTwoFactorReset: 'Your Gatehouse two-factor authentication was reset',
  yourEmailChanged: 'Your Gatehouse email address was changed',
};

for (const engine of await enginesUnderTest()) describe(`Notices of company changes to its Masters (${engine})`, () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  let count = 0;
  const idps: TestOidcIdp[] = [];

  before(async () => {
    server = await startTestServer({ engine });
    operator = await signedInOperator(server);
  });
  after(async () => {
    for (const idp of idps) await idp.close();
    await server?.close();
  });

  interface Company extends SignedInCompany {
    rootEmail: string;
    alice: Person;
    bob: Person;
    emails: { alice: string; bob: string };
  }

  /** The session proves its user (a sensitive change needs it: src/http/audiences.ts). */
  async function stepUp(person: Person) {
    const proved = await person.agent.post('/api/me/reauth', proofOf(server, person));
    assert.equal(proved.status, 200, JSON.stringify(proved.body));
  }

  /** A company: its Root Master, Alice a Master, Bob a User, all enrolled and signed in. */
  async function freshCompany(): Promise<Company> {
    count += 1;
    const domain = `n${count}.notices.test`;
    const rootEmail = `root@${domain}`;
    // Approving a company is sensitive too: the operator proves it again (the clock moves on).
    await stepUp({ id: '', username: operator.username, agent: operator.agent, totpSecret: operator.totpSecret });
    const company = await companyWithRootMaster(server, operator.agent, `Notice Co ${count}`, rootEmail);
    const emails = { alice: `alice@${domain}`, bob: `bob@${domain}` };
    const alice = await invitedMember(server, company, company.root.agent, { username: `alice${count}`, role: 'user', email: emails.alice });
    await stepUp(company.root);
    assert.equal((await company.root.agent.post(`/api/company/users/${alice.id}/role`, { role: 'master' })).status, 200);
    const bob = await invitedMember(server, company, company.root.agent, { username: `bob${count}`, role: 'user', email: emails.bob });
    // Alice signs in again as the Master she now is.
    return { ...company, rootEmail, alice: await logInAgain(server, company, alice), bob, emails };
  }

  /** A fresh company, its Masters' addresses, an OpenID Connect provider for it and the form that adds it. */
  async function companyWithIdp() {
    const c = await freshCompany();
    const masters = [c.rootEmail, c.emails.alice];
    const overview = await c.alice.agent.get('/api/company/sso');
    const idp = await startOidcIdp(overview.body.serviceProvider.oidcRedirectUri);
    idps.push(idp);
    const form = { kind: 'oidc', name: 'Corporate SSO', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, usernameAttribute: 'preferred_username', trustProviderMfa: false };
    return { c, masters, idp, form };
  }

  const mailsTo = (address: string, subject: string) => server.mail.messages.filter((m) => m.to.includes(address) && m.subject === subject);

  /** What the outbox holds for an address and subject (written in the change's transaction). */
  async function queued(companyId: string, subject: string) {
    return server.gatehouse.deps.db.selectFrom('outbox').select('recipient').where('company_id', '=', companyId).where('subject', '=', subject).execute();
  }

  /** Each of `addresses` gets exactly one more mail with `subject`, naming `actor`; returns them. */
  async function eachToldOnce(addresses: string[], subject: string, before: Map<string, number>, mentions: string[]) {
    const told = [];
    for (const address of addresses) {
      await server.mail.waitFor(() => mailsTo(address, subject).length > (before.get(address) ?? 0));
      const mails = mailsTo(address, subject);
      assert.equal(mails.length, (before.get(address) ?? 0) + 1, `${address}: one "${subject}"`);
      const mail = mails.at(-1)!;
      for (const word of mentions) assert.ok(mail.text.includes(word), `${address}: "${subject}" names ${word}:\n${mail.text}`);
      assert.match(mail.text, /change your password and sign out everywhere/);
      told.push(mail);
    }
    return told;
  }
  const countsOf = (addresses: string[], subject: string) => new Map(addresses.map((a) => [a, mailsTo(a, subject).length]));

  test('a Master invited from the console, or through /api/v1 by an API client, tells every Master', async () => {
    const c = await freshCompany();
    const masters = [c.rootEmail, c.emails.alice];
    const seen = countsOf(masters, SUBJECTS.masterInvited);
    await stepUp(c.alice);
    const invited = await c.alice.agent.post('/api/company/users', { email: `helpdesk@attacker${count}.test`, username: 'helpdesk', role: 'master' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    await eachToldOnce(masters, SUBJECTS.masterInvited, seen, [c.alice.username, 'helpdesk', c.companyName]);
    assert.deepEqual(mailsTo(c.emails.bob, SUBJECTS.masterInvited), [], 'a User is not told');

    // The same through /api/v1: the notice names the API client.
    const { client, clientSecret } = await apiClient(server, { name: 'PSA sync', scopes: ['users:read', 'users:write'], companyId: c.companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    const again = countsOf(masters, SUBJECTS.masterInvited);
    const viaApi = await sendApi(server, 'POST', `/api/v1/companies/${c.companyId}/users`, token, { email: 'second@attacker.test', username: 'second', role: 'master' });
    assert.equal(viaApi.status, 201, JSON.stringify(viaApi.body));
    await eachToldOnce(masters, SUBJECTS.masterInvited, again, ['PSA sync', 'second']);

    // A User invited is no notice.
    const user = await sendApi(server, 'POST', `/api/v1/companies/${c.companyId}/users`, token, { email: 'plain@n.test', username: 'plain', role: 'user' });
    assert.equal(user.status, 201);
    assert.equal((await queued(c.companyId, SUBJECTS.masterInvited)).length, 4);

    // A bulk invite: one notice per Master invited, none for a User.
    const bulkSeen = countsOf(masters, SUBJECTS.masterInvited);
    await stepUp(c.root);
    const bulk = await c.root.agent.post('/api/company/users/bulk-invite', { csv: 'email,username,role\nthird@n.test,third,master\nfourth@n.test,fourth,user\n' });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    await eachToldOnce(masters, SUBJECTS.masterInvited, bulkSeen, [c.root.username, 'third']);
    assert.equal((await queued(c.companyId, SUBJECTS.masterInvited)).length, 6);
  });

  test('a user made a Master tells every Master; the Root Master role transferred too; a refused transfer mails nobody', async () => {
    const c = await freshCompany();
    const masters = [c.rootEmail, c.emails.alice];
    const seen = countsOf(masters, SUBJECTS.masterMade);
    await stepUp(c.alice);
    assert.equal((await c.alice.agent.post(`/api/company/users/${c.bob.id}/role`, { role: 'master' })).status, 200);
    await eachToldOnce([...masters, c.emails.bob], SUBJECTS.masterMade, seen, [c.alice.username, c.bob.username]);

    // Refused: an invited user who never signed up cannot become the Root Master.
    await stepUp(c.root);
    const pending = await c.root.agent.post('/api/company/users', { email: 'pending@n.test', username: 'pending', role: 'user' });
    assert.equal(pending.status, 201);
    await stepUp(c.root);
    const refused = await c.root.agent.post(`/api/company/users/${pending.body.user.id}/transfer-root-master`);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.deepEqual(await queued(c.companyId, SUBJECTS.rootTransferred), []);

    const before = countsOf(masters, SUBJECTS.rootTransferred);
    await stepUp(c.root);
    const moved = await c.root.agent.post(`/api/company/users/${c.alice.id}/transfer-root-master`);
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    await eachToldOnce(masters, SUBJECTS.rootTransferred, before, [c.root.username, c.alice.username]);
  });

  test("a 2FA reset by a Master tells the user and every Master, naming who did it", async () => {
    const c = await freshCompany();
    const masters = [c.rootEmail, c.emails.alice];
    const seen = countsOf(masters, SUBJECTS.twoFactorReset);
    const bobSeen = countsOf([c.emails.bob], SUBJECTS.yourTwoFactorReset);
    await stepUp(c.alice);
    const reset = await c.alice.agent.post(`/api/company/users/${c.bob.id}/reset-2fa`);
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    await eachToldOnce(masters, SUBJECTS.twoFactorReset, seen, [c.alice.username, c.bob.username]);
    await server.mail.waitFor(() => mailsTo(c.emails.bob, SUBJECTS.yourTwoFactorReset).length > bobSeen.get(c.emails.bob)!);
    const toBob = mailsTo(c.emails.bob, SUBJECTS.yourTwoFactorReset);
    assert.equal(toBob.length, 1);
    assert.ok(toBob[0]!.text.includes(c.alice.username), toBob[0]!.text);

    // Refused (nothing left to reset): nothing more is queued.
    await stepUp(c.alice);
    const again = await c.alice.agent.post(`/api/company/users/${c.bob.id}/reset-2fa`);
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal((await queued(c.companyId, SUBJECTS.twoFactorReset)).length, 2);
    assert.equal((await queued(c.companyId, SUBJECTS.yourTwoFactorReset)).length, 1);

    // With the two-person rule on, the notices go when a second Master approves, naming them.
    await stepUp(c.root);
    assert.equal((await c.root.agent.post('/api/company/policy', { twoPerson2faReset: true })).status, 200);
    await stepUp(c.root);
    const asked = await c.root.agent.post(`/api/company/users/${c.alice.id}/reset-2fa`);
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    assert.equal((await queued(c.companyId, SUBJECTS.twoFactorReset)).length, 2, 'nothing is reset yet: nobody is told');
    const aliceSeen = countsOf(masters, SUBJECTS.twoFactorReset);
    // Bob is a User: Alice's reset needs another Master, so Bob is made one first.
    await stepUp(c.root);
    assert.equal((await c.root.agent.post(`/api/company/users/${c.bob.id}/role`, { role: 'master' })).status, 200);
    const bob = await logInAgain(server, c, c.bob);
    await stepUp(bob);
    const approved = await bob.agent.post(`/api/company/approvals/${asked.body.approvalId}/approve`);
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await eachToldOnce([c.rootEmail], SUBJECTS.twoFactorReset, aliceSeen, [bob.username, c.alice.username]);
    await server.mail.waitFor(() => mailsTo(c.emails.alice, SUBJECTS.yourTwoFactorReset).length === 1);
  });

  test('a policy change tells every Master which settings changed; a refused one mails nobody', async () => {
    const c = await freshCompany();
    const masters = [c.rootEmail, c.emails.alice];
    // Refused: an allowlist without the saver's own address.
    await stepUp(c.alice);
    const refused = await c.alice.agent.post('/api/company/policy', { ipAllowlist: ['10.9.0.0/16'] });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.deepEqual(await queued(c.companyId, SUBJECTS.policy), []);

    const seen = countsOf(masters, SUBJECTS.policy);
    await stepUp(c.alice);
    const saved = await c.alice.agent.post('/api/company/policy', { twoPerson2faReset: true, lockoutThreshold: 7 });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    await eachToldOnce(masters, SUBJECTS.policy, seen, [c.alice.username, 'two-person rule for 2FA resets', 'failed attempts before a lock']);
  });

  test('single sign-on added, edited, its settings changed and switched on tells every Master; the provider rewriting an address tells the old one', async () => {
    const { c, masters, idp, form } = await companyWithIdp();

    let seen = countsOf(masters, SUBJECTS.providerAdded);
    await stepUp(c.alice);
    const added = await c.alice.agent.post('/api/company/sso/providers', form);
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id as string;
    await eachToldOnce(masters, SUBJECTS.providerAdded, seen, [c.alice.username, 'Corporate SSO']);

    // Refused: switched on before a Test sign-in.
    await stepUp(c.alice);
    const early = await c.alice.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
    assert.equal(early.status, 409, JSON.stringify(early.body));
    assert.deepEqual(await queued(c.companyId, SUBJECTS.ssoOn), []);

    seen = countsOf(masters, SUBJECTS.providerChanged);
    await stepUp(c.alice);
    const edited = await c.alice.agent.post(`/api/company/sso/providers/${providerId}`, { ...form, name: 'Corporate SSO 2' });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    await eachToldOnce(masters, SUBJECTS.providerChanged, seen, [c.alice.username, 'Corporate SSO 2']);

    await idp.nextUser({ sub: 'sub-tester', claims: { preferred_username: 'tester', email: 'tester@okta.test' } });
    const started = await c.alice.agent.post(`/api/company/sso/providers/${providerId}/test`);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    await c.alice.agent.get((await idp.signIn(started.body.redirectTo)).slice(server.baseUrl.length));

    seen = countsOf(masters, SUBJECTS.ssoSettings);
    await stepUp(c.alice);
    assert.equal((await c.alice.agent.post('/api/company/sso', { breakGlassUserIds: [c.root.id, c.alice.id] })).status, 200);
    await eachToldOnce(masters, SUBJECTS.ssoSettings, seen, [c.alice.username, 'break-glass users changed']);
    // The console saves the whole form: the same break-glass users again, with the mode
    // changed, tells of the mode only; the same form again tells nothing and audits nothing.
    await stepUp(c.alice);
    assert.equal((await c.alice.agent.post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [c.alice.id, c.root.id] })).status, 200);
    const modeOnly = await eachToldOnce(masters, SUBJECTS.ssoSettings, new Map(masters.map((a) => [a, (seen.get(a) ?? 0) + 1])), ['sign-on mode set to sso-only']);
    for (const mail of modeOnly) assert.ok(!mail.text.includes('break-glass users changed'), mail.text);
    const settingsEvents = async () => (await c.alice.agent.get('/api/company/audit?action=sso.settings_changed')).body.events.length as number;
    const eventsBefore = await settingsEvents();
    assert.equal((await c.alice.agent.post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [c.root.id, c.alice.id] })).status, 200);
    assert.equal(await settingsEvents(), eventsBefore, 'a save that changes nothing is not audited');
    assert.equal((await queued(c.companyId, SUBJECTS.ssoSettings)).length, 2 * masters.length, 'nor told');

    seen = countsOf(masters, SUBJECTS.ssoOn);
    await stepUp(c.alice);
    const on = await c.alice.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    await eachToldOnce(masters, SUBJECTS.ssoOn, seen, [c.alice.username, 'Corporate SSO 2']);

    // Bob signs in through the provider, which sends another address: the old one is told.
    await idp.nextUser({ sub: 'sub-bob', claims: { preferred_username: c.bob.username, email: 'bob-elsewhere@attacker.test' } });
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username: c.bob.username, companyName: c.companyName });
    assert.equal(identified.body.step, 'sso');
    const sso = await browser.post('/api/login/sso/start');
    await browser.get((await idp.signIn(sso.body.redirectTo)).slice(server.baseUrl.length));
    await server.mail.waitFor((m) => m.to.includes(c.emails.bob) && m.subject === SUBJECTS.yourEmailChanged);
    assert.equal(mailsTo(c.emails.bob, SUBJECTS.yourEmailChanged).length, 1);
    assert.deepEqual(mailsTo('bob-elsewhere@attacker.test', SUBJECTS.yourEmailChanged), []);
  });

  test('a provider saved unchanged is neither audited nor told, and keeps its Test sign-in; a change names the fields, never the secret', async () => {
    const { c, masters, idp, form } = await companyWithIdp();
    await stepUp(c.alice);
    const added = await c.alice.agent.post('/api/company/sso/providers', form);
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id as string;
    await idp.nextUser({ sub: 'sub-tester', claims: { preferred_username: 'tester', email: 'tester@okta.test' } });
    const started = await c.alice.agent.post(`/api/company/sso/providers/${providerId}/test`);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    await c.alice.agent.get((await idp.signIn(started.body.redirectTo)).slice(server.baseUrl.length));
    const tested = (await c.alice.agent.get('/api/company/sso')).body.providers[0].testedAt as string | null;
    assert.ok(tested, 'the Test sign-in succeeded');

    const changedEvents = async () =>
      (await c.alice.agent.get('/api/company/audit?action=sso.provider_changed')).body.events as Array<{ detail: Record<string, unknown> | null }>;
    const seen = countsOf(masters, SUBJECTS.providerChanged);

    // The console saves the whole form: the same settings again, the secret re-entered or
    // left out (kept), change nothing, record nothing and tell no one.
    for (const body of [form, { ...form, clientSecret: undefined }, { ...form, groupsAttribute: '' }]) {
      await stepUp(c.alice);
      const same = await c.alice.agent.post(`/api/company/sso/providers/${providerId}`, body);
      assert.equal(same.status, 200, JSON.stringify(same.body));
      assert.equal(same.body.provider.testedAt, tested, 'an unchanged provider keeps its Test sign-in');
    }
    assert.deepEqual(await changedEvents(), [], 'a save that changes nothing is not audited');
    assert.deepEqual(await queued(c.companyId, SUBJECTS.providerChanged), [], 'nor told');

    // A change is audited and told once, naming the fields it changed.
    await stepUp(c.alice);
    const renamed = await c.alice.agent.post(`/api/company/sso/providers/${providerId}`, { ...form, name: 'Corporate SSO 2', trustProviderMfa: true });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.provider.testedAt, null, 'new settings need a new Test sign-in');
    const told = await eachToldOnce(masters, SUBJECTS.providerChanged, seen, [c.alice.username, 'Corporate SSO 2', "Changed: name, trust in the provider's MFA."]);
    for (const mail of told) assert.ok(!mail.text.includes('client secret'), mail.text);
    assert.deepEqual((await changedEvents()).map((e) => e.detail?.changed), [['name', 'trustProviderMfa']]);

    // A new client secret is named as changed; its value is in neither the trail nor the mail.
    const newSecret = 'a-new-client-secret-9f3k';
    await stepUp(c.alice);
    const rotated = await c.alice.agent.post(`/api/company/sso/providers/${providerId}`, { ...form, name: 'Corporate SSO 2', trustProviderMfa: true, clientSecret: newSecret });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const afterRename = new Map(masters.map((a) => [a, (seen.get(a) ?? 0) + 1]));
    for (const mail of await eachToldOnce(masters, SUBJECTS.providerChanged, afterRename, ['Changed: client secret.'])) assert.ok(!mail.text.includes(newSecret), mail.text);
    const events = await changedEvents();
    assert.deepEqual(events.map((e) => e.detail?.changed), [['clientSecret'], ['name', 'trustProviderMfa']]);
    assert.ok(!JSON.stringify(events).includes(newSecret), 'the secret is not in the trail');
    assert.equal((await queued(c.companyId, SUBJECTS.providerChanged)).length, 2 * masters.length);
  });
});
