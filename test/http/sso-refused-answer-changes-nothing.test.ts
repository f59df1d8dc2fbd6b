// A provider's answer the sign-in can no longer use changes no account. The person chose
// "Use password instead" while the provider's page was open, or the flow's 10 minutes
// (from identify) ran out while they signed in at the provider (the request's 10 minutes
// start at Continue, so the answer still finds it): the browser lands on
// /login?sso=failed, and the user the answer names is neither created nor rewritten
// (address, name, the notice to the old address). The flow is held before the account is
// touched (holdFlowForProvider, src/login/federated.ts, from vouch in src/sso/sign-in.ts),
// for SAML and OpenID Connect answers alike.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { switchedOnForgingProvider, type ForgingOidcIdp } from '../helpers/forging-oidc-idp.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, postToAcs, switchedOnSamlProvider, requestIdFrom, signedResponse, type AssertionFacts, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`a refused SAML answer changes no account (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let company: SignedInCompany;
  let idp: TestIdp;
  let sp: { entityId: string; acsUrl: string };

  const facts = (requestId: string, more: Partial<AssertionFacts>): AssertionFacts => ({
    requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'someone', now: server.clock(), ...more,
  });
  const userNamed = (username: string) =>
    dbOf(server).selectFrom('users').select(['id', 'email', 'display_name']).where('company_id', '=', company.companyId).where('username', '=', username).executeTakeFirst();

  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    company = await companyWithRootMaster(server, operator, 'Audit Refusals', 'root@refusals.test');
    idp = makeIdp();
    ({ sp } = await switchedOnSamlProvider(company.root.agent, company.root.id, idp, { trustProviderMfa: false, mode: 'sso-plus-password', now: server.clock }));
  });
  after(() => server?.close());

  test('the person chose "Use password instead" before the answer came: no user is created', async () => {
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: 'newbie', companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    const requestId = requestIdFrom(started.body.redirectTo);
    assert.equal((await browser.post('/api/login/sso/password')).body.step, 'password');

    const answer = await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId, { nameId: 'newbie', attributes: { email: 'newbie@refusals.test' } })), browser);
    assert.equal(answer.location, '/login?sso=failed', 'the sign-in is refused');
    assert.equal((await browser.get('/api/me')).status, 401);
    assert.equal(await userNamed('newbie'), undefined, 'a refused sign-in created the user');
  });

  test("the flow ran out while the person signed in at the provider: the user's address is not replaced", async () => {
    // Carol signs in once, so she exists with her address.
    const first = server.agent();
    await first.post('/api/login/identify', { username: 'carol', companyName: company.companyName });
    const started = await first.post('/api/login/sso/start');
    await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestIdFrom(started.body.redirectTo), { nameId: 'carol', attributes: { email: 'carol@refusals.test', displayName: 'Carol' } })), first);
    const before = await userNamed('carol');
    assert.equal(before?.email, 'carol@refusals.test');
    const mailsBefore = (await dbOf(server).selectFrom('outbox').select('id').execute()).length;

    // Later: identify, wait a while, Continue, sign in slowly at the provider.
    server.clock.advance(60 * 60_000);
    const browser = server.agent();
    await browser.post('/api/login/identify', { username: 'carol', companyName: company.companyName });
    server.clock.advance(6 * 60_000);
    const again = await browser.post('/api/login/sso/start');
    const requestId = requestIdFrom(again.body.redirectTo);
    server.clock.advance(5 * 60_000); // the request (10 min from Continue) is still pending; the flow (10 min from identify) is not
    const answer = await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestId, { nameId: 'carol', attributes: { email: 'carol@elsewhere.test', displayName: 'Carol Changed' } })), browser);
    assert.equal(answer.location, '/login?sso=failed', 'the sign-in is refused');
    assert.equal((await browser.get('/api/me')).status, 401);
    assert.deepEqual(await userNamed('carol'), before, 'a refused sign-in rewrote the user (address, name)');
    assert.equal((await dbOf(server).selectFrom('outbox').select('id').execute()).length, mailsBefore, 'a refused sign-in mailed the old address');
  });
});

for (const engine of await enginesUnderTest()) describe(`a refused OpenID Connect answer changes no account (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: ForgingOidcIdp;

  const userNamed = (username: string) =>
    dbOf(server).selectFrom('users').select(['id', 'email', 'display_name']).where('company_id', '=', company.companyId).where('username', '=', username).executeTakeFirst();
  /** Identify and Continue in a fresh browser: the browser, and the provider's authorization URL. */
  const startedAt = async (username: string) => {
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username, companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    return { browser, redirectTo: started.body.redirectTo as string };
  };
  const answered = async (browser: Agent, redirectTo: string, claims: Record<string, unknown>) => {
    idp.forgeNext({ claims });
    return (await browser.get(idp.authorize(redirectTo).slice(server.baseUrl.length))).headers.get('location');
  };

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Refused OIDC Answers', 'root@refused-oidc.test');
    ({ idp } = await switchedOnForgingProvider(server, company, { trustProviderMfa: false }));
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  test('the person chose "Use password instead" before the answer came: no user is created', async () => {
    const { browser, redirectTo } = await startedAt('olivia');
    assert.equal((await browser.post('/api/login/sso/password')).body.step, 'password');
    const landed = await answered(browser, redirectTo, { preferred_username: 'olivia', email: 'olivia@refused-oidc.test', email_verified: true });
    assert.equal(landed, '/login?sso=failed', 'the sign-in is refused');
    assert.equal((await browser.get('/api/me')).status, 401);
    assert.equal(await userNamed('olivia'), undefined, 'a refused sign-in created the user');
  });

  test("the flow ran out while the person was at the provider: the user's address and name stay", async () => {
    const first = await startedAt('oscar');
    const landedFirst = await answered(first.browser, first.redirectTo, { preferred_username: 'oscar', email: 'oscar@refused-oidc.test', email_verified: true, name: 'Oscar' });
    assert.notEqual(landedFirst, '/login?sso=failed', 'the first sign-in is the provider\'s');
    const before = await userNamed('oscar');
    assert.equal(before?.email, 'oscar@refused-oidc.test');
    const mailsBefore = (await dbOf(server).selectFrom('outbox').select('id').execute()).length;

    server.clock.advance(60 * 60_000);
    const browser = server.agent();
    await browser.post('/api/login/identify', { username: 'oscar', companyName: company.companyName });
    server.clock.advance(6 * 60_000);
    const again = await browser.post('/api/login/sso/start');
    server.clock.advance(5 * 60_000);
    const landed = await answered(browser, again.body.redirectTo as string, { preferred_username: 'oscar', email: 'oscar@elsewhere.test', email_verified: true, name: 'Oscar Changed' });
    assert.equal(landed, '/login?sso=failed', 'the sign-in is refused');
    assert.deepEqual(await userNamed('oscar'), before, 'a refused sign-in rewrote the user (address, name)');
    assert.equal((await dbOf(server).selectFrom('outbox').select('id').execute()).length, mailsBefore, 'a refused sign-in mailed the old address');
  });
});
