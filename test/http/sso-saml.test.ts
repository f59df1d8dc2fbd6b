// Signing in through a company's SAML 2.0 provider, over HTTP, with responses the test
// builds and signs itself (xml-crypto, as node-saml verifies them): a good one signs in
// (user made just in time, then Gatehouse's own 2FA), and every forged, unsigned,
// expired, replayed, misaddressed or rewrapped one is refused and signs no one in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, logInAgain, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { policyByClient } from '../helpers/key-policy.ts';
import { assertionXml, makeIdp, postToAcs, requestIdFrom, responseXml, signAssertion, signedResponse, type AssertionFacts, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { totpAt } from '../helpers/totp.ts';

const MFA = 'https://refeds.org/profile/mfa';

for (const engine of await enginesUnderTest()) describe(`single sign-on with a SAML provider (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestIdp;
  let providerId: string;
  let sp: { entityId: string; acsUrl: string; metadataUrl: string };
  let operator: Agent;

  /** A browser at the login page of the company, sent to the provider; the request's id. */
  async function atProvider(username = 'someone'): Promise<{ browser: Agent; requestId: string }> {
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username, companyName: company.companyName });
    assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.ok(started.body.redirectTo.startsWith(idp.ssoUrl));
    return { browser, requestId: requestIdFrom(started.body.redirectTo) };
  }

  const facts = (requestId: string, more: Partial<AssertionFacts> = {}): AssertionFacts => ({
    requestId,
    acsUrl: sp.acsUrl,
    audience: sp.entityId,
    issuer: idp.entityId,
    nameId: 'carol',
    now: server.clock(),
    attributes: { email: 'carol@acme.test', displayName: 'Carol Fed' },
    ...more,
  });

  async function refused(browser: Agent, xml: string, why: string) {
    const failures = () => dbOf(server).selectFrom('audit_events').select(['id', 'detail']).where('action', '=', 'sso.login_failed').execute();
    const before = new Set((await failures()).map((row) => row.id));
    const answer = await postToAcs(sp.acsUrl, xml, browser);
    assert.equal(answer.status, 303, why);
    assert.equal(answer.location, '/login?sso=failed', why);
    // The browser's login has not moved on, and nobody is signed in.
    assert.equal((await browser.get('/api/login')).body.step, 'sso', why);
    assert.equal((await browser.get('/api/me')).status, 401, why);
    // Exactly one new entry (rows have no order to rely on: the test clock stands still).
    const added = (await failures()).filter((row) => !before.has(row.id));
    assert.equal(added.length, 1, `${why}: audited`);
    return JSON.parse(added[0]?.detail ?? '{}').reason as string;
  }

  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    company = await companyWithRootMaster(server, operator, 'Acme Federated', 'dana@fed.test');
    idp = makeIdp();
    const overview = await company.root.agent.get('/api/company/sso');
    assert.equal(overview.status, 200, JSON.stringify(overview.body));
    sp = overview.body.serviceProvider;
    assert.equal(sp.acsUrl, `${server.baseUrl}/saml/${company.companyId}/acs`);
    const added = await company.root.agent.post('/api/company/sso/providers', {
      kind: 'saml',
      name: 'Acme IdP',
      entityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      certificates: [idp.certificate],
      usernameAttribute: 'NameID',
      trustProviderMfa: true,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    providerId = added.body.provider.id;
  });
  after(() => server?.close());

  test('the SP metadata names the entity ID and ACS, and wants signed assertions', async () => {
    const response = await fetch(sp.metadataUrl);
    assert.equal(response.status, 200);
    const xml = await response.text();
    assert.match(xml, new RegExp(`entityID="${sp.entityId}"`));
    assert.match(xml, new RegExp(`Location="${sp.acsUrl}"`));
    assert.match(xml, /WantAssertionsSigned="true"/);
    assert.equal((await fetch(`${server.baseUrl}/saml/5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f/metadata`)).status, 404);
  });

  test('it cannot be switched on before a Test sign-in, nor without a break-glass Master', async () => {
    const early = await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'sso.not_tested');

    const started = await company.root.agent.post(`/api/company/sso/providers/${providerId}/test`);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const requestId = requestIdFrom(started.body.redirectTo);
    const answer = await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId, { nameId: 'tester' })), company.root.agent);
    assert.equal(answer.status, 303);
    assert.equal(answer.location, `/company?tab=sso&provider=${providerId}&ssoTest=${requestId}`);
    const result = await company.root.agent.get(`/api/company/sso/providers/${providerId}/test/${started.body.testId}`);
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.equal(result.body.status, 'succeeded');
    assert.equal(result.body.identity.username, 'tester');
    // A test creates no one.
    assert.equal(await dbOf(server).selectFrom('users').select('id').where('username', '=', 'tester').executeTakeFirst(), undefined);

    const noBreakGlass = await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
    assert.equal(noBreakGlass.status, 409);
    assert.equal(noBreakGlass.body.error.code, 'sso.break_glass_required');

    const settings = await company.root.agent.post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [company.root.id] });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const on = await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body.provider.enabled, true);
    const actions = (await dbOf(server).selectFrom('audit_events').select('action').where('company_id', '=', company.companyId).execute()).map((e) => e.action);
    for (const action of ['sso.provider_added', 'sso.tested', 'sso.settings_changed', 'sso.enabled']) assert.ok(actions.includes(action), action);
  });

  test('a signed assertion signs a new user in: created just in time, then Gatehouse 2FA enrollment', async () => {
    const { browser, requestId } = await atProvider('carol');
    const answer = await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId)), browser);
    assert.equal(answer.location, '/login');
    assert.equal((await browser.get('/api/login')).body.step, 'enroll');
    const enrollment = await browser.post('/api/login/enroll/start');
    const done = await browser.post('/api/login/enroll/verify', { code: totpAt(enrollment.body.secret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const me = await browser.get('/api/me');
    assert.equal(me.body.user.username, 'carol');
    assert.equal(me.body.user.role, 'user');
    assert.equal(me.body.user.email, 'carol@acme.test');
    assert.deepEqual(me.body.session.amr, ['fed', 'otp']);
    const provisioned = await dbOf(server).selectFrom('audit_events').select('action').where('action', '=', 'sso.user_provisioned').execute();
    assert.equal(provisioned.length, 1);
  });

  test('a later sign-in updates name and email; with proven MFA at a trusting company it needs no Gatehouse code', async () => {
    server.clock.advance(30_000);
    const { browser, requestId } = await atProvider('carol');
    const answer = await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId, { authnContext: MFA, attributes: { email: 'carol@new.test', displayName: 'Carol New' } })), browser);
    assert.equal(answer.location, '/login');
    assert.equal((await browser.get('/api/login')).body.step, 'sso_trusted');
    const done = await browser.post('/api/login/sso/finish');
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const me = await browser.get('/api/me');
    assert.equal(me.body.user.email, 'carol@new.test');
    assert.equal(me.body.user.displayName, 'Carol New');
    assert.deepEqual(me.body.session.amr, ['fed', 'mfa']);
  });

  test('without proof of MFA the Gatehouse code is still asked for', async () => {
    server.clock.advance(30_000);
    const { browser, requestId } = await atProvider('carol');
    await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId)), browser);
    assert.equal((await browser.get('/api/login')).body.step, 'totp');
    assert.equal((await browser.post('/api/login/sso/finish')).status, 409);
  });

  test('certificate rollover: with the next certificate added, either key signs; the provider stays on', async () => {
    const next = makeIdp(idp.entityId);
    const edited = await company.root.agent.post(`/api/company/sso/providers/${providerId}`, {
      kind: 'saml',
      name: 'Acme IdP',
      entityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      certificates: [idp.certificate, next.certificate],
      usernameAttribute: 'NameID',
      trustProviderMfa: true,
    });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(edited.body.provider.saml.certificates.length, 2);
    assert.equal(edited.body.provider.enabled, true);
    assert.equal(edited.body.provider.testedAt, null);
    for (const signer of [next, idp]) {
      server.clock.advance(30_000);
      const { browser, requestId } = await atProvider('carol');
      assert.equal((await postToAcs(sp.acsUrl, signedResponse(signer, facts(requestId, { authnContext: MFA })), browser)).location, '/login');
      assert.equal((await browser.get('/api/login')).body.step, 'sso_trusted');
    }
  });

  test("with a groups attribute, each sign-in makes the user a member of exactly the provider's groups (by name)", async () => {
    const master = company.root.agent;
    const group = async (name: string) => {
      const created = await master.post('/api/company/groups', { name });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.group.id as string;
    };
    const [engineering, sales] = [await group('Engineering'), await group('Sales')];
    const edited = await master.post(`/api/company/sso/providers/${providerId}`, {
      kind: 'saml',
      name: 'Acme IdP',
      entityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      certificates: [idp.certificate],
      usernameAttribute: 'NameID',
      groupsAttribute: 'memberOf',
      trustProviderMfa: true,
    });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(edited.body.provider.groupsAttribute, 'memberOf');
    const membersOf = async (groupId: string) => {
      const answer = await master.get('/api/company/groups');
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const found = (answer.body.groups as Array<{ id: string; members: Array<{ username: string }> }>).find((g) => g.id === groupId);
      return (found?.members ?? []).map((m) => m.username);
    };
    /** `groups`: the Attribute elements after the name's, each [name, values]. */
    const signInWith = async (...groups: Array<[string, string | string[]]>) => {
      server.clock.advance(30_000);
      const { browser, requestId } = await atProvider('carol');
      const attributes: Array<[string, string | string[]]> = [['email', 'carol@new.test'], ['displayName', 'Carol New'], ...groups];
      assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId, { authnContext: MFA, attributes })), browser)).location, '/login');
      assert.equal((await browser.post('/api/login/sso/finish')).status, 200);
    };

    // A name Gatehouse does not know is ignored (the provider creates no groups here).
    await signInWith(['memberOf', ['engineering', 'Finance']]);
    assert.deepEqual([await membersOf(engineering), await membersOf(sales)], [['carol'], []]);
    await signInWith(['memberOf', 'Sales']);
    assert.deepEqual([await membersOf(engineering), await membersOf(sales)], [[], ['carol']]);
    // Sent as one Attribute element per group, every element counts, not only the last.
    await signInWith(['memberOf', 'Engineering'], ['memberOf', 'Sales']);
    assert.deepEqual([await membersOf(engineering), await membersOf(sales)], [['carol'], ['carol']]);
    await signInWith(['memberOf', 'Sales'], ['department', 'Operations'], ['memberOf', 'Finance']);
    assert.deepEqual([await membersOf(engineering), await membersOf(sales)], [[], ['carol']]);
    const synced = await dbOf(server).selectFrom('audit_events').select('action').where('action', '=', 'group.memberships_synced').execute();
    assert.ok(synced.length >= 2, 'each change of memberships is audited');
  });

  test('an edit that sends no certificates keeps the stored ones (the console cannot show them to send back)', async () => {
    const master = company.root.agent;
    const stored = (await master.get('/api/company/sso')).body.providers.find((p: { id: string }) => p.id === providerId);
    assert.ok(stored.saml.certificates.length >= 1);
    const edited = await master.post(`/api/company/sso/providers/${providerId}`, {
      kind: 'saml',
      name: 'Acme IdP (renamed)',
      entityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      usernameAttribute: 'NameID',
      groupsAttribute: stored.groupsAttribute ?? '',
      trustProviderMfa: true,
    });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.deepEqual(edited.body.provider.saml.certificates, stored.saml.certificates);
    const changes = await dbOf(server).selectFrom('audit_events').select('detail').where('action', '=', 'sso.provider_changed').execute();
    const renamed = changes.map((row) => JSON.parse(row.detail ?? '{}')).filter((detail) => detail.name === 'Acme IdP (renamed)');
    assert.deepEqual(renamed.map((detail) => detail.changed), [['name']], 'only the name changed');
    // The provider still takes answers signed by the key it had.
    server.clock.advance(30_000);
    const { browser, requestId } = await atProvider('carol');
    assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId, { authnContext: MFA })), browser)).location, '/login');
    // A new provider still needs one.
    const added = await master.post('/api/company/sso/providers', { kind: 'saml', name: 'No Key IdP', entityId: 'https://nokey.test', ssoUrl: 'https://nokey.test/sso', usernameAttribute: 'NameID', trustProviderMfa: false });
    assert.deepEqual([added.status, Object.keys(added.body.error?.fields ?? {})], [400, ['certificates']]);
    const back = await master.post(`/api/company/sso/providers/${providerId}`, { ...edited.body.provider.saml, certificates: undefined, kind: 'saml', name: 'Acme IdP', usernameAttribute: 'NameID', groupsAttribute: stored.groupsAttribute ?? '', trustProviderMfa: true });
    assert.equal(back.status, 200, JSON.stringify(back.body));
  });

  test('an unsigned assertion is refused', async () => {
    const { browser, requestId } = await atProvider();
    const f = facts(requestId);
    await refused(browser, responseXml(assertionXml(f), f), 'unsigned');
  });

  test('an assertion signed by another key is refused', async () => {
    const { browser, requestId } = await atProvider();
    const f = facts(requestId);
    await refused(browser, responseXml(signAssertion(assertionXml(f), makeIdp()), f), 'forged');
  });

  test('an assertion changed after signing is refused', async () => {
    const { browser, requestId } = await atProvider();
    const f = facts(requestId, { nameId: 'mallory' });
    const tampered = signAssertion(assertionXml(f), idp).replace('>mallory<', '>carol<');
    await refused(browser, responseXml(tampered, f), 'tampered');
  });

  test('an expired assertion is refused', async () => {
    const { browser, requestId } = await atProvider();
    const reason = await refused(browser, signedResponse(idp, facts(requestId, { now: server.clock() - 10 * 60_000, validForMs: 5 * 60_000 })), 'expired');
    assert.match(reason, /expired/);
  });

  test('an assertion not valid yet, by its conditions or by its subject confirmation, is refused', async () => {
    const later = server.clock() + 10 * 60_000;
    for (const [why, more] of [
      ['conditions', { now: later }],
      ['subject confirmation', { confirmNotBefore: later }],
    ] as const) {
      const { browser, requestId } = await atProvider();
      const reason = await refused(browser, signedResponse(idp, facts(requestId, more)), why);
      assert.match(reason, /not valid yet/, why);
    }
    // Within the clock skew a confirmation's NotBefore is no reason to refuse.
    const { browser, requestId } = await atProvider('carol');
    const answer = await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId, { confirmNotBefore: server.clock() + 60_000 })), browser);
    assert.equal(answer.location, '/login');
  });

  test('an assertion for another audience, recipient, destination or issuer is refused', async () => {
    for (const [why, more] of [
      ['audience', { audience: 'https://other-sp.test/metadata' }],
      ['recipient', { recipient: 'https://other-sp.test/acs' }],
      ['destination', { destination: 'https://other-sp.test/acs' }],
    ] as const) {
      const { browser, requestId } = await atProvider();
      await refused(browser, signedResponse(idp, facts(requestId, more)), why);
    }
    const { browser, requestId } = await atProvider();
    const other = { ...makeIdp('https://evil.test/idp') };
    await refused(browser, signedResponse({ ...other, privateKey: idp.privateKey, certificate: idp.certificate }, facts(requestId, { issuer: other.entityId })), 'issuer');
  });

  test('an assertion answering another request (or none) is refused', async () => {
    const first = await atProvider();
    const second = await atProvider();
    // Signed for the first request, posted as an answer to the second.
    const f = facts(first.requestId);
    const crossed = responseXml(signAssertion(assertionXml(f), idp), { ...f, requestId: second.requestId });
    await refused(second.browser, crossed, 'InResponseTo mismatch');
    await refused(first.browser, signedResponse(idp, facts('_0000000000000000000000000000000000000000')), 'unknown request');
  });

  test('a replayed assertion is refused, and the browser that posted it is not signed in', async () => {
    const { browser, requestId } = await atProvider('carol');
    const xml = signedResponse(idp, facts(requestId, { authnContext: MFA }));
    assert.equal((await postToAcs(sp.acsUrl, xml, browser)).location, '/login');
    const attacker = await atProvider('carol');
    await refused(attacker.browser, xml, 'replay');
    assert.equal((await postToAcs(sp.acsUrl, xml)).location, '/login?sso=failed');
    assert.equal((await browser.get('/api/login')).body.step, 'sso_trusted');
  });

  test('signature wrapping: a second, unsigned assertion around the signed one is refused', async () => {
    const { browser, requestId } = await atProvider();
    const genuine = signAssertion(assertionXml(facts(requestId, { nameId: 'mallory', assertionId: '_genuine' })), idp);
    const evil = assertionXml(facts(requestId, { nameId: 'dana', assertionId: '_evil' }));
    // The evil assertion carries the genuine one (and its signature) inside its Subject.
    const wrapped = evil.replace('</saml:Subject>', `</saml:Subject><saml:Advice>${genuine}</saml:Advice>`);
    await refused(browser, responseXml(wrapped, facts(requestId)), 'wrapped in Advice');
    const next = await atProvider();
    const both = responseXml(assertionXml(facts(next.requestId, { nameId: 'dana', assertionId: '_evil2' })) + signAssertion(assertionXml(facts(next.requestId, { nameId: 'mallory', assertionId: '_g2' })), idp), facts(next.requestId));
    await refused(next.browser, both, 'two assertions');
  });

  test('a comment inside the NameID does not shorten it to another user', async () => {
    const dana = company.root;
    const { browser, requestId } = await atProvider();
    // The provider signed "dana.attacker"; a comment is invisible to the signature.
    const signed = signAssertion(assertionXml(facts(requestId, { nameId: 'dana.attacker' })), idp).replace('>dana.attacker<', '>dana<!---->.attacker<');
    const answer = await postToAcs(sp.acsUrl, responseXml(signed, facts(requestId)), browser);
    if (answer.location === '/login') {
      const flow = await dbOf(server).selectFrom('login_flows').select('user_id').where('step', 'in', ['totp', 'enroll', 'sso_trusted']).execute();
      assert.ok(flow.every((f) => f.user_id !== dana.id), 'never signed in as dana');
      const user = await dbOf(server).selectFrom('users').select('username').where('username', '=', 'dana.attacker').executeTakeFirst();
      assert.ok(user, 'the whole name was read');
    } else {
      assert.equal(answer.location, '/login?sso=failed');
    }
    assert.notEqual((await browser.get('/api/me')).status, 200);
  });

  test('an answer counts only through the browser that started the sign-in: brought back by another, it moves no sign-in on', async () => {
    const carol = () => dbOf(server).selectFrom('users').select(['email', 'display_name']).where('company_id', '=', company.companyId).where('username', '=', 'carol').executeTakeFirstOrThrow();
    const carolBefore = await carol();
    // The people who may follow a link someone sent them: no Gatehouse cookies at all, a
    // sign-in of their own under way, a session (the Root Master's).
    const victims: Array<[string, () => Promise<Agent>]> = [
      ['a browser without Gatehouse cookies', async () => server.agent()],
      ['a browser with a sign-in of its own', async () => (await atProvider('carol')).browser],
      ['a signed-in browser', async () => company.root.agent],
    ];
    for (const [who, victimBrowser] of victims) {
      server.clock.advance(30_000);
      // Someone starts a sign-in and sends the provider's link to Carol, signed in there with MFA.
      const attacker = await atProvider('anyone');
      const victim = await victimBrowser();
      const victimStep = (await victim.get('/api/login')).body?.step;
      const xml = signedResponse(idp, facts(attacker.requestId, { authnContext: MFA, attributes: { email: 'carol@swapped.test', displayName: 'Carol Swapped' } }));
      assert.equal((await postToAcs(sp.acsUrl, xml, victim)).location, '/login?sso=failed', who);
      // Neither sign-in moved on; nobody holds a session as Carol; Carol is unchanged.
      assert.equal((await attacker.browser.get('/api/login')).body.step, 'sso', who);
      assert.equal((await attacker.browser.post('/api/login/sso/finish')).status, 409, who);
      assert.equal((await attacker.browser.get('/api/me')).status, 401, who);
      assert.equal((await victim.get('/api/login')).body?.step, victimStep, who);
      assert.notEqual((await victim.get('/api/me')).body?.user?.username, 'carol', who);
      assert.deepEqual(await carol(), carolBefore, who);
      // Nor can the answer then be brought back through the browser that started it.
      assert.equal((await postToAcs(sp.acsUrl, xml, attacker.browser)).location, '/login?sso=failed', who);
      assert.equal((await attacker.browser.get('/api/me')).status, 401, who);
    }
    const reasons = (await dbOf(server).selectFrom('audit_events').select('detail').where('action', '=', 'sso.login_failed').execute()).map((e) => JSON.parse(e.detail ?? '{}').reason);
    assert.ok(reasons.includes('the answer came back through another browser than the one that started the sign-in'));
  });

  test("a Test sign-in counts only through the browser of the Master who started it", async () => {
    const started = await company.root.agent.post(`/api/company/sso/providers/${providerId}/test`);
    const requestId = requestIdFrom(started.body.redirectTo);
    await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId, { nameId: 'tester' })), server.agent());
    const result = await company.root.agent.get(`/api/company/sso/providers/${providerId}/test/${started.body.testId}`);
    assert.equal(result.body.status, 'failed', JSON.stringify(result.body));
    assert.match(result.body.reason, /another browser/);
  });

  const lookAlikes: Array<[string, string]> = [
    ['a Cyrillic а', 'c\u0430rol'],
    ['a zero-width space inside', 'ca\u200brol'],
    ['a soft hyphen inside', 'ca\u00adrol'],
    ['Cyrillic letters only', '\u0441\u0430\u0433\u043e\u04cf'],
    ['a Greek ο', 'car\u03bfl'],
  ];
  for (const [what, nameId] of lookAlikes) {
    test(`a provider username that only looks like a user's (${what}) signs nobody in and changes no one`, async () => {
      server.clock.advance(30_000);
      const users = () => dbOf(server).selectFrom('users').select(['username', 'email', 'display_name']).where('company_id', '=', company.companyId).orderBy('username').execute();
      const before = await users();
      const { browser, requestId } = await atProvider('carol');
      const reason = await refused(browser, signedResponse(idp, facts(requestId, { nameId, authnContext: MFA, attributes: { email: 'mallory@evil.test', displayName: 'Mallory' } })), what);
      assert.match(reason, /only looks like|username is refused/, reason);
      assert.deepEqual(await users(), before);
    });
  }

  // Around the name, where String#trim once took them off before the name was judged: at
  // the provider, "carol" followed by a byte order mark is another account than carol.
  test("a provider username with a space-like character around it is not the plain name's user", async () => {
    const users = () => dbOf(server).selectFrom('users').select(['username', 'email']).where('company_id', '=', company.companyId).orderBy('username').execute();
    const before = await users();
    for (const [what, nameId] of [
      ['a byte order mark after', 'carol\ufeff'],
      ['a byte order mark before', '\ufeffcarol'],
      ['a no-break space after', 'carol\u00a0'],
      ['an ideographic space after', 'carol\u3000'],
      // The same written as XML character references, which the parser decodes.
      ['a byte order mark after, as a reference', 'carol&#xFEFF;'],
      ['a no-break space before, as a reference', '&#160;carol'],
    ] as const) {
      const { browser, requestId } = await atProvider('carol');
      const reason = await refused(browser, signedResponse(idp, facts(requestId, { nameId, authnContext: MFA, attributes: { email: 'mallory@evil.test' } })), what);
      assert.match(reason, /not written as a username is saved/, `${what}: ${reason}`);
    }
    assert.deepEqual(await users(), before);
  });

  test('the same name in other capitals is the same user', async () => {
    server.clock.advance(30_000);
    const { browser, requestId } = await atProvider('carol');
    assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId, { nameId: 'CAROL', authnContext: MFA })), browser)).location, '/login');
    assert.equal((await browser.get('/api/login')).body.step, 'sso_trusted');
  });

  test("the provider's trusted MFA does not stand in for the key the company's policy requires", async () => {
    // Saved by the company's API client: the Root Master's session, made with the app's
    // code, ends with the change (and they sign in again once it is set back).
    const setPolicy = await policyByClient(server, company.companyId);
    await setPolicy({ phishingResistant: 'everyone' });
    try {
      server.clock.advance(30_000);
      const { browser, requestId } = await atProvider('carol');
      assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId, { authnContext: MFA })), browser)).location, '/login');
      const state = (await browser.get('/api/login')).body;
      assert.equal(state.step, 'totp', JSON.stringify(state));
      assert.equal((await browser.post('/api/login/sso/finish')).status, 409);
      assert.equal((await browser.get('/api/me')).status, 401);
    } finally {
      await setPolicy({ phishingResistant: 'off' });
      company.root = await logInAgain(server, company, company.root);
    }
  });

  test("a provider of the platform company signs existing operators in but creates none", async () => {
    const me = (await operator.get('/api/me')).body;
    const platformIdp = makeIdp('https://idp.platform.test/saml');
    const platformSp = (await operator.get('/api/company/sso')).body.serviceProvider;
    // The file's clock has moved on since the operator proved their session: set-up proves it again when it must.
    const added = await withFreshProof(server, operator, () => operator.post('/api/company/sso/providers', {
      kind: 'saml', name: 'Staff IdP', entityId: platformIdp.entityId, ssoUrl: platformIdp.ssoUrl, certificates: [platformIdp.certificate], usernameAttribute: 'NameID', trustProviderMfa: true,
    }));
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const id = added.body.provider.id;
    const platformFacts = (requestId: string, nameId: string) => ({
      requestId, acsUrl: platformSp.acsUrl, audience: platformSp.entityId, issuer: platformIdp.entityId, nameId, now: server.clock(), authnContext: MFA, attributes: { email: `${nameId}@staff.test` },
    });
    const tested = await operator.post(`/api/company/sso/providers/${id}/test`);
    await postToAcs(platformSp.acsUrl, signedResponse(platformIdp, platformFacts(requestIdFrom(tested.body.redirectTo), 'tester')), operator);
    assert.equal((await operator.post('/api/company/sso', { breakGlassUserIds: [me.user.id] })).status, 200);
    assert.equal((await operator.post(`/api/company/sso/providers/${id}/enabled`, { enabled: true })).status, 200);
    try {
      const browser = server.agent();
      assert.equal((await browser.post('/api/login/identify', { username: 'newcomer', companyName: me.company.name })).body.step, 'sso');
      const started = await browser.post('/api/login/sso/start');
      const landed = await postToAcs(platformSp.acsUrl, signedResponse(platformIdp, platformFacts(requestIdFrom(started.body.redirectTo), 'newcomer')), browser);
      assert.equal(landed.location, '/login?sso=failed');
      assert.equal((await browser.get('/api/me')).status, 401);
      const newcomer = await dbOf(server).selectFrom('users').select('id').where('username', '=', 'newcomer').executeTakeFirst();
      assert.equal(newcomer, undefined, 'no operator made by a provider');
    } finally {
      assert.equal((await operator.post(`/api/company/sso/providers/${id}/enabled`, { enabled: false })).status, 200);
    }
  });

  test('a deactivated user stays out', async () => {
    const carol = await dbOf(server).selectFrom('users').select('id').where('company_id', '=', company.companyId).where('username', '=', 'carol').executeTakeFirstOrThrow();
    assert.equal((await company.root.agent.post(`/api/company/users/${carol.id}/deactivate`)).status, 200);
    const { browser, requestId } = await atProvider('carol');
    const reason = await refused(browser, signedResponse(idp, facts(requestId, { authnContext: MFA })), 'deactivated');
    assert.match(reason, /deactivated/);
  });

  test("another company's Master reaches none of this company's providers: the same 404 as a missing id", async () => {
    const other = await companyWithRootMaster(server, operator, 'Other Federated', 'olga@other.test');
    const them = other.root.agent;
    const body = { kind: 'saml', name: 'Hijack', entityId: 'https://evil.test', ssoUrl: 'https://evil.test/sso', certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: true };
    for (const [path, payload] of [
      [`/api/company/sso/providers/${providerId}`, body],
      [`/api/company/sso/providers/${providerId}/enabled`, { enabled: false }],
      [`/api/company/sso/providers/${providerId}/test`, {}],
      [`/api/company/sso/providers/${providerId}/delete`, {}],
      ['/api/company/sso', { breakGlassUserIds: [company.root.id] }],
    ] as const) {
      const answer = await them.post(path, payload);
      assert.equal(answer.status, 404, `${path}: ${JSON.stringify(answer.body)}`);
    }
    assert.deepEqual((await them.get('/api/company/sso')).body.providers, []);
    const still = await company.root.agent.get('/api/company/sso');
    assert.equal(still.body.providers[0].enabled, true);
    assert.equal(still.body.providers[0].name, 'Acme IdP');
  });

  test('in sso-only mode only break-glass users may use a password; the answer is the same for everyone else', async () => {
    const browser = server.agent();
    await browser.post('/api/login/identify', { username: 'nobody', companyName: company.companyName });
    assert.equal((await browser.post('/api/login/sso/password')).body.step, 'password');
    const wrong = await browser.post('/api/login/password', { password: 'Velvet-Harbor-42!' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'login.invalid_credentials');

    server.clock.advance(30_000);
    const root = server.agent();
    await root.post('/api/login/identify', { username: 'dana', companyName: company.companyName });
    await root.post('/api/login/sso/password');
    const ok = await root.post('/api/login/password', { password: 'Velvet-Harbor-42!' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.step, 'totp');
  });
});
