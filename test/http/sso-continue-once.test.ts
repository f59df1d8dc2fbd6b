// "Continue" to the company's provider leaves a login flow one pending request at most,
// however many Continues race: the request is written over the flow's earlier one in one
// statement (src/sso/requests.ts, migration 0021), where it used to be "forget the earlier
// ones, then add" (two statements, so racing Continues each added theirs). A repeat
// Continue (a double click, the back button) goes on to the provider with a fresh request
// and the one before answers nothing; the provider's answer, replayed at once, moves the
// sign-in on once. SAML answers are built and signed by the test (saml-idp.ts); the OpenID
// Connect provider is node oidc-provider in its own process (oidc-idp.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestIdOfState } from '../../src/sso/oidc.ts';
import { migrateToLatest } from '../../src/storage/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, operatorAgent, switchedOnOidcProvider, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { migratedBefore } from '../helpers/migrated-before.ts';
import type { TestOidcIdp } from '../helpers/oidc-idp.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse, type AssertionFacts, type TestIdp, switchedOnSamlProvider } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** Continues fired at once for one login flow. */
const RACERS = 10;
const MFA = 'https://refeds.org/profile/mfa';

for (const engine of await enginesUnderTest()) describe(`"Continue" to the provider starts one pending request per sign-in (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let samlCompany: SignedInCompany;
  let idp: TestIdp;
  let sp: { entityId: string; acsUrl: string };
  let oidcCompany: SignedInCompany;
  let oidcIdp: TestOidcIdp;

  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);

    // A company on SAML: the provider added, tried with a Test sign-in, switched on.
    samlCompany = await companyWithRootMaster(server, operator, 'Racing Federated', 'dana@race.test');
    idp = makeIdp();
    ({ sp } = await switchedOnSamlProvider(samlCompany.root.agent, samlCompany.root.id, idp, { trustProviderMfa: true, now: server.clock }));

    // A company on OpenID Connect.
    oidcCompany = await companyWithRootMaster(server, operator, 'Racing Okta Users', 'dana@okta-race.test');
    oidcIdp = (await switchedOnOidcProvider(server, oidcCompany)).idp;
  });
  after(async () => {
    await oidcIdp?.close();
    await server?.close();
  });

  function samlFacts(requestId: string, more: Partial<AssertionFacts> = {}): AssertionFacts {
    return {
      requestId,
      acsUrl: sp.acsUrl,
      audience: sp.entityId,
      issuer: idp.entityId,
      nameId: 'rita',
      now: server.clock(),
      attributes: { email: 'rita@race.test' },
      ...more,
    };
  }

  /** A browser at the 'sso' step of a login at `company`. */
  async function atSsoStep(company: SignedInCompany, username: string): Promise<Agent> {
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username, companyName: company.companyName });
    assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
    return browser;
  }

  /** `count` Continues of `browser`'s login, all sent before any is answered. */
  async function continuesAtOnce(browser: Agent, count: number) {
    const answers = await Promise.all(Array.from({ length: count }, () => browser.post('/api/login/sso/start')));
    for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answers.map((answer) => answer.body.redirectTo as string);
  }

  /** The stored requests of the login flow that made `requestIds` (each names its flow). */
  async function requestsOfFlow(requestIds: string[]) {
    const db = dbOf(server);
    const named = await db.selectFrom('sso_requests').select('flow_hash').where('id', 'in', requestIds).execute();
    const flows = new Set(named.map((row) => row.flow_hash));
    assert.ok(flows.size <= 1, 'the requests belong to one login flow');
    const [flowHash] = [...flows];
    if (!flowHash) return [];
    return db.selectFrom('sso_requests').select(['id', 'used_at']).where('flow_hash', '=', flowHash).execute();
  }

  const stepOf = async (browser: Agent) => (await browser.get('/api/login')).body.step as string;
  const vouchedFor = async (company: SignedInCompany) =>
    (await dbOf(server).selectFrom('audit_events').select('id').where('company_id', '=', company.companyId).where('action', '=', 'sso.login_vouched').execute()).length;

  test(`SAML: ${RACERS} Continues at once leave one pending request; only its answer counts, and only once`, async () => {
    const browser = await atSsoStep(samlCompany, 'rita');
    const requestIds = (await continuesAtOnce(browser, RACERS)).map(requestIdFrom);
    assert.equal(new Set(requestIds).size, RACERS, 'each Continue goes to the provider with a request of its own');
    const stored = await requestsOfFlow(requestIds);
    assert.equal(stored.length, 1, `one request stored for the sign-in, not ${stored.length}`);
    const live = stored[0]?.id ?? assert.fail('no request stored');
    assert.ok(requestIds.includes(live), 'the stored request is one of those the Continues answered with');

    // The answers to the requests that were written over answer nothing.
    for (const stale of requestIds.filter((id) => id !== live)) {
      assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, samlFacts(stale)), browser)).location, '/login?sso=failed', stale);
    }
    assert.equal(await stepOf(browser), 'sso');
    // The live one's answer, brought back ten times at once (a replay racing the original), moves the sign-in on once.
    const vouchedBefore = await vouchedFor(samlCompany);
    const xml = signedResponse(idp, samlFacts(live, { authnContext: MFA }));
    const landings = await Promise.all(Array.from({ length: RACERS }, () => postToAcs(sp.acsUrl, xml, browser)));
    assert.deepEqual(landings.map((l) => l.location).sort(), ['/login', ...Array(RACERS - 1).fill('/login?sso=failed')]);
    assert.equal(await vouchedFor(samlCompany) - vouchedBefore, 1, 'vouched for once');
    assert.equal(await stepOf(browser), 'sso_trusted');
    // Nothing of the flow is left pending.
    assert.deepEqual((await requestsOfFlow([live])).filter((row) => row.used_at === null), []);
    assert.equal((await browser.post('/api/login/sso/finish')).status, 200);
    assert.equal((await browser.get('/api/me')).body.user.username, 'rita');
  });

  test('SAML: the back button and Continue again go to the provider afresh; the request left behind answers nothing', async () => {
    const browser = await atSsoStep(samlCompany, 'rita');
    const [first] = (await continuesAtOnce(browser, 1)).map(requestIdFrom);
    // Back from the provider without signing in there, and Continue again.
    const [second] = (await continuesAtOnce(browser, 1)).map(requestIdFrom);
    assert.ok(first && second && first !== second);
    assert.deepEqual((await requestsOfFlow([second])).map((row) => row.id), [second]);
    assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, samlFacts(first)), browser)).location, '/login?sso=failed');
    assert.equal(await stepOf(browser), 'sso');

    // An answer the provider got wrong (another audience) uses the request up; Continue
    // again starts a fresh one, over the used one, and its answer signs in.
    assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, samlFacts(second, { audience: 'https://other.test/sp' })), browser)).location, '/login?sso=failed');
    assert.equal(await stepOf(browser), 'sso');
    const racing = (await continuesAtOnce(browser, RACERS)).map(requestIdFrom);
    const stored = await requestsOfFlow(racing);
    assert.equal(stored.length, 1, `one request stored for the sign-in, not ${stored.length}`);
    const live = stored[0]?.id ?? assert.fail('no request stored');
    assert.equal(stored[0]?.used_at, null, 'the fresh request, not the used one');
    assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, samlFacts(live, { authnContext: MFA })), browser)).location, '/login');
    assert.equal(await stepOf(browser), 'sso_trusted');

    // Continue once the provider has answered: the sign-in has moved on; nothing new is stored.
    const late = await browser.post('/api/login/sso/start');
    assert.equal(late.status, 409, JSON.stringify(late.body));
    assert.equal(late.body.error.code, 'login.wrong_step');
    assert.deepEqual((await requestsOfFlow([live])).map((row) => row.id), [live]);
  });

  test(`OpenID Connect: ${RACERS} Continues at once leave one pending request; only its answer counts, and only once`, async () => {
    const browser = await atSsoStep(oidcCompany, 'olga');
    const redirects = await continuesAtOnce(browser, RACERS);
    const idOf = (redirectTo: string) => requestIdOfState(new URL(redirectTo).searchParams.get('state') ?? '') ?? assert.fail(`no state in ${redirectTo}`);
    const requestIds = redirects.map(idOf);
    assert.equal(new Set(requestIds).size, RACERS);
    const stored = await requestsOfFlow(requestIds);
    assert.equal(stored.length, 1, `one request stored for the sign-in, not ${stored.length}`);
    const liveIndex = requestIds.indexOf(stored[0]?.id ?? '');
    assert.ok(liveIndex >= 0);

    // A request written over: the provider answers it, Gatehouse does not take the answer.
    const staleRedirect = redirects[(liveIndex + 1) % RACERS] ?? '';
    await oidcIdp.nextUser({ sub: 'sub-olga', claims: { preferred_username: 'olga' }, amr: ['pwd'] });
    const staleBack = await oidcIdp.signIn(staleRedirect);
    assert.equal((await browser.get(staleBack.slice(server.baseUrl.length))).headers.get('location'), '/login?sso=failed');
    assert.equal(await stepOf(browser), 'sso');

    // The live one: its code brought back ten times at once moves the sign-in on once.
    const vouchedBefore = await vouchedFor(oidcCompany);
    await oidcIdp.nextUser({ sub: 'sub-olga', claims: { preferred_username: 'olga' }, amr: ['pwd'] });
    const callback = (await oidcIdp.signIn(redirects[liveIndex] ?? '')).slice(server.baseUrl.length);
    const landings = await Promise.all(Array.from({ length: RACERS }, () => browser.get(callback)));
    assert.deepEqual(landings.map((l) => l.headers.get('location')).sort(), ['/login', ...Array(RACERS - 1).fill('/login?sso=failed')]);
    assert.equal(await vouchedFor(oidcCompany) - vouchedBefore, 1, 'vouched for once');
    assert.equal(await stepOf(browser), 'enroll');
    assert.deepEqual((await requestsOfFlow(requestIds)).filter((row) => row.used_at === null), []);
  });
});

for (const engine of await enginesUnderTest()) describe(`migration 0021 over requests the race left behind (${engine})`, () => {
  test("a flow's latest request is kept, the others of the flow are deleted, a Test sign-in's rows are kept; then a flow takes no second row", async () => {
    const { database, storage, raw } = await migratedBefore(engine, '0021');
    try {
      await raw.insertInto('companies').values({ id: 'c-1', name: 'Acme', name_key: 'acrne', case_key: 'acme', status: 'active', is_platform: 0, created_at: 1 }).execute();
      const request = (id: string, flow: string | null, at: number, used = false) =>
        raw
          .insertInto('sso_requests')
          .values({
            id, company_id: 'c-1', provider_id: 'p-1', purpose: flow ? 'login' : 'test', flow_hash: flow, session_hash: flow ? null : 's-1',
            nonce: null, code_verifier: null, result: null, expires_at: at + 600_000, used_at: used ? at : null, created_at: at,
          })
          .execute();
      await request('r-a1', 'flow-a', 10);
      await request('r-a2', 'flow-a', 12);
      await request('r-a3', 'flow-a', 11, true);
      await request('r-b1', 'flow-b', 10);
      await request('r-b2', 'flow-b', 10); // the same moment: the greater id stays
      await request('r-c1', 'flow-c', 10, true);
      await request('r-t1', null, 10);
      await request('r-t2', null, 10);
      await migrateToLatest(raw);
      const ids = (await raw.selectFrom('sso_requests').select('id').orderBy('id').execute()).map((row) => row.id);
      assert.deepEqual(ids, ['r-a2', 'r-b2', 'r-c1', 'r-t1', 'r-t2']);
      await assert.rejects(request('r-a4', 'flow-a', 13), 'a second row for a flow is refused by the database');
    } finally {
      await storage.close();
      await database.drop();
    }
  });
});
