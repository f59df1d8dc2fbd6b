// Guards the total of users one company holds (GATEHOUSE_USERS_PER_COMPANY, counted in
// createUser, src/users/store.ts): every way a user is made meets it, so no one tenant (a
// misconfigured or hostile identity provider, a script with an API client) can fill the
// database every tenant shares. Checked through HTTP with a total of four: the console's
// invitation, /api/v1's and a bulk invite are refused `409 user.too_many` past it, and
// write nothing; a just-in-time sign-in through the company's provider is refused with its
// own message on the login page and an audit event, not a 500, while a user who already
// counts still signs in; creates racing for the last slot (invitations, provider sign-ins,
// both together) let one through; a deactivated user still counts, a deleted one does not.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, switchedOnSamlProvider, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const TOTAL = 4;

for (const engine of await enginesUnderTest()) describe(`a company holds at most GATEHOUSE_USERS_PER_COMPANY users (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let companies = 0;

  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_USERS_PER_COMPANY: String(TOTAL) } });
    operator = await operatorAgent(server);
  });
  after(() => server?.close());

  async function freshCompany(): Promise<SignedInCompany> {
    companies += 1;
    return companyWithRootMaster(server, operator, `Full House ${companies}`, `root${companies}@full-house.test`);
  }
  const invite = (company: SignedInCompany, username: string) =>
    withFreshProof(server, company.root.agent, () => company.root.agent.post('/api/company/users', { email: `${username}@full-house.test`, username, role: 'user' }));
  async function usernames(company: SignedInCompany): Promise<string[]> {
    const rows = await dbOf(server).selectFrom('users').select('username').where('company_id', '=', company.companyId).execute();
    return rows.map((row) => row.username).sort();
  }
  /** Invitations until the company holds `count` users (the Root Master is one). */
  async function fillTo(company: SignedInCompany, count: number, prefix = 'member'): Promise<string[]> {
    const ids = [];
    for (let i = (await usernames(company)).length; i < count; i++) {
      const answer = await invite(company, `${prefix}${i}`);
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      ids.push(answer.body.user.id as string);
    }
    return ids;
  }
  const refusedForTotal = (answer: { status: number; body: any }) => {
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, 'user.too_many');
    assert.match(answer.body.error.message, /as many users as a company may hold/);
  };

  test('the console: past the total an invitation is refused and writes nothing; a deactivated user counts, a deleted one frees its slot', async () => {
    const acme = await freshCompany();
    const [first] = await fillTo(acme, TOTAL);
    const before = await usernames(acme);
    refusedForTotal(await invite(acme, 'one-more'));
    assert.deepEqual(await usernames(acme), before, 'no user for the refused invitation');
    const invitations = await dbOf(server).selectFrom('invitation_mail').select('id').where('company_id', '=', acme.companyId).execute();
    assert.equal(invitations.length, TOTAL - 1, 'a refused invitation takes nothing from the mail quota');

    assert.equal((await acme.root.agent.post(`/api/company/users/${first}/deactivate`)).status, 200);
    refusedForTotal(await invite(acme, 'one-more'));
    assert.equal((await acme.root.agent.post(`/api/company/users/${first}/delete`)).status, 200);
    const again = await invite(acme, 'one-more');
    assert.equal(again.status, 201, JSON.stringify(again.body));
    refusedForTotal(await invite(acme, 'and-another'));
  });

  test('/api/v1 and a bulk invite meet the same total', async () => {
    const acme = await freshCompany();
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:write'], companyId: acme.companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    const viaApi = (username: string) => sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/users`, token, { email: `${username}@full-house.test`, username, role: 'user' });
    for (const name of ['api1', 'api2']) assert.equal((await viaApi(name)).status, 201);
    const csv = ['email,username,role', 'bulk1@full-house.test,bulk1,user', 'bulk2@full-house.test,bulk2,user', 'bulk3@full-house.test,bulk3,user'].join('\n');
    const bulk = await withFreshProof(server, acme.root.agent, () => acme.root.agent.post('/api/company/users/bulk-invite', { csv }));
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    assert.deepEqual(
      bulk.body.rows.map((row: { username: string; status: string; reason?: string }) => [row.username, row.status, /as many users/.test(row.reason ?? '')]),
      [['bulk1', 'invited', false], ['bulk2', 'refused', true], ['bulk3', 'refused', true]],
    );
    const over = await viaApi('api3');
    assert.equal(over.status, 409, JSON.stringify(over.body));
    assert.equal(over.body.code, 'user.too_many', JSON.stringify(over.body));
    assert.equal((await usernames(acme)).length, TOTAL);
  });

  test('invitations racing for the last slot, from the console and API clients: one passes', async () => {
    for (let round = 0; round < 2; round++) {
      const acme = await freshCompany();
      await fillTo(acme, TOTAL - 1);
      const tokens = [];
      for (let i = 0; i < 3; i++) {
        const { client, clientSecret } = await apiClient(server, { name: `Script ${i}`, scopes: ['users:write'], companyId: acme.companyId });
        tokens.push(await tokenFor(server, client.clientId, clientSecret));
      }
      const viaApi = (token: string, username: string) =>
        sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/users`, token, { email: `${username}@full-house.test`, username, role: 'user' });
      const answers = await Promise.all([invite(acme, 'racer'), invite(acme, 'racer-too'), ...tokens.map((token, i) => viaApi(token, `script-racer${i}`))]);
      const codes = answers.map((a) => (a.status === 201 ? 'made' : (a.body.error?.code ?? a.body.code)));
      assert.deepEqual(codes.sort(), ['made', 'user.too_many', 'user.too_many', 'user.too_many', 'user.too_many'], JSON.stringify(answers.map((a) => a.body)));
      assert.equal((await usernames(acme)).length, TOTAL);
    }
  });

  describe('through the company’s identity provider (just in time)', () => {
    let idp: TestIdp;
    before(() => {
      idp = makeIdp();
    });

    async function withProvider() {
      const acme = await freshCompany();
      const { sp } = await switchedOnSamlProvider(acme.root.agent, acme.root.id, idp, { trustProviderMfa: false, mode: 'sso-plus-password', now: server.clock });
      return { acme, sp };
    }
    /** A browser at the login, sent to the provider for `username`: its answer, posted when called. */
    async function startedAtProvider(acme: SignedInCompany, sp: { entityId: string; acsUrl: string }, username: string) {
      const browser = server.agent();
      const identified = await browser.post('/api/login/identify', { username, companyName: acme.companyName });
      assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
      const started = await browser.post('/api/login/sso/start');
      const requestId = requestIdFrom(started.body.redirectTo);
      const xml = signedResponse(idp, { requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: username, now: server.clock(), attributes: { email: `${username}@full-house.test` } });
      return { browser, answer: () => postToAcs(sp.acsUrl, xml, browser) };
    }
    async function signIn(acme: SignedInCompany, sp: { entityId: string; acsUrl: string }, username: string) {
      const { browser, answer } = await startedAtProvider(acme, sp, username);
      const landed = await answer();
      return { location: landed.location, step: (await browser.get('/api/login')).body.step as string };
    }
    const refusals = (acme: SignedInCompany) =>
      dbOf(server).selectFrom('audit_events').select('detail').where('company_id', '=', acme.companyId).where('action', '=', 'sso.login_failed').execute();

    test('a new user past the total is refused with its own message and an audit event; one who counts already signs in; a deletion frees a slot', async () => {
      const { acme, sp } = await withProvider();
      const [, gus] = await fillTo(acme, TOTAL);
      const before = await usernames(acme);
      const refused = await signIn(acme, sp, 'newcomer');
      assert.equal(refused.location, '/login?sso=company_full', 'the login page says why, not "did not work"');
      assert.deepEqual(await usernames(acme), before, 'no user made');
      const events = await refusals(acme);
      assert.equal(events.length, 1);
      assert.match(events[0]?.detail ?? '', /as many users as it may hold/);

      // An invitee (counted since the invitation) takes it up through the provider at the total.
      const invitee = (await dbOf(server).selectFrom('users').select('username').where('id', '=', gus as string).executeTakeFirstOrThrow()).username;
      assert.deepEqual(await signIn(acme, sp, invitee), { location: '/login', step: 'enroll' });

      assert.equal((await acme.root.agent.post(`/api/company/users/${gus}/delete`)).status, 200);
      assert.deepEqual(await signIn(acme, sp, 'newcomer'), { location: '/login', step: 'enroll' });
      assert.equal((await signIn(acme, sp, 'latecomer')).location, '/login?sso=company_full');
      assert.equal((await usernames(acme)).length, TOTAL);
    });

    test('sign-ins racing for the last slot, and one racing an invitation: one passes', async () => {
      const { acme, sp } = await withProvider();
      await fillTo(acme, TOTAL - 1);
      const started = await Promise.all(['ann', 'bob', 'cat'].map((name) => startedAtProvider(acme, sp, name)));
      const landed = await Promise.all(started.map((s) => s.answer()));
      assert.deepEqual(landed.map((l) => l.location).sort(), ['/login', '/login?sso=company_full', '/login?sso=company_full'], JSON.stringify(landed));
      assert.equal((await usernames(acme)).length, TOTAL);

      const mixed = await withProvider();
      await fillTo(mixed.acme, TOTAL - 1);
      const atProvider = await startedAtProvider(mixed.acme, mixed.sp, 'dan');
      const [provider, invited] = await Promise.all([atProvider.answer(), invite(mixed.acme, 'eve')]);
      const outcomes = [provider.location === '/login' ? 'made' : provider.location, invited.status === 201 ? 'made' : invited.body.error?.code];
      assert.equal(outcomes.filter((o) => o === 'made').length, 1, JSON.stringify(outcomes));
      assert.ok(outcomes.includes('user.too_many') || outcomes.includes('/login?sso=company_full'), JSON.stringify(outcomes));
      assert.equal((await usernames(mixed.acme)).length, TOTAL);
    });
  });
});
