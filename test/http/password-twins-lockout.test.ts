// Two right passwords sent at once on one stored login flow (a company with single sign-on,
// "Use password instead"): each takes an attempt slot before its hash, the first moves the
// flow on, and the second finds it moved ('taken'). The write that found it moved gives
// that slot back already (lockout.ts releaseAttemptAndMoveOn); the password step gave it
// back a second time, which took a real failure off the user's count. So someone with the
// password but not the second factor could send a twin pair before every wrong code and
// guess codes without the account ever locking (both engines). Now the count keeps every
// wrong code, and the fifth locks the account as it should.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { makeIdp, postToAcs, requestIdFrom, signedResponse } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';

/** Pairs tried until one races as twins (both read the flow at the password step). */
const TRIES = 10;

for (const engine of await enginesUnderTest()) describe(`twin right passwords on one flow give one slot back, not two (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Twin Federated', 'dana@twin-release.test');
    const root = company.root.agent;
    const idp = makeIdp();
    const sp = (await root.get('/api/company/sso')).body.serviceProvider;
    const added = await root.post('/api/company/sso/providers', {
      kind: 'saml', name: 'Twin IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id as string;
    const started = await root.post(`/api/company/sso/providers/${providerId}/test`);
    await postToAcs(sp.acsUrl, signedResponse(idp, {
      requestId: requestIdFrom(started.body.redirectTo), acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'tester', now: server.clock(), attributes: {},
    }), root);
    assert.equal((await root.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
    const on = await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
  });
  after(() => server?.close());

  const account = () => dbOf(server).selectFrom('users').select(['failed_logins', 'locked_until']).where('id', '=', company.root.id).executeTakeFirstOrThrow();
  const wrongCode = () => (totpAt(company.root.totpSecret, server.clock()) === '000000' ? '111111' : '000000');

  /** A stored flow at the password step: the company's provider first, then "Use password instead". */
  async function atPasswordStep(): Promise<Agent> {
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username: company.root.username, companyName: company.companyName });
    assert.equal(identified.body.step, 'sso');
    assert.equal((await browser.post('/api/login/sso/password')).body.step, 'password');
    return browser;
  }

  /** A browser at the code step, reached by twin right passwords on one flow (one goes on, its twin is refused). */
  async function atCodeStepByTwins(): Promise<Agent> {
    for (let i = 0; i < TRIES; i++) {
      const browser = await atPasswordStep();
      const twins = await Promise.all([0, 1].map(() => browser.post('/api/login/password', { password: STRONG_PASSWORD })));
      const through = twins.filter((t) => t.status === 200);
      assert.equal(through.length, 1, JSON.stringify(twins.map((t) => t.body)));
      assert.equal(through[0]!.body.step, 'totp');
      const twin = twins.find((t) => t.status !== 200)!;
      // The second read the flow after the first moved it on: no race this time.
      if (twin.status === 409) continue;
      assert.deepEqual([twin.status, twin.body.error.code], [401, 'login.invalid_credentials']);
      return browser;
    }
    throw new Error(`no twin race in ${TRIES} tries`);
  }

  test('every wrong code after twin passwords stays counted, and the fifth locks the account', async () => {
    for (let made = 1; made <= 4; made++) {
      const browser = await atCodeStepByTwins();
      const refused = await browser.post('/api/login/totp', { code: wrongCode() });
      assert.deepEqual([refused.status, refused.body.error.code], [401, 'totp.invalid_code']);
      const { failed_logins: failures, locked_until: lockedUntil } = await account();
      assert.equal(Number(failures), made, `wrong codes made: ${made}`);
      assert.equal(lockedUntil, null);
    }
    // The fifth wrong code (one password, no twin) locks the account.
    const browser = await atPasswordStep();
    assert.equal((await browser.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');
    const fifth = await browser.post('/api/login/totp', { code: wrongCode() });
    assert.deepEqual([fifth.status, fifth.body.error.code], [429, 'account.locked'], 'the guess that locks says so');
    assert.ok(Number((await account()).locked_until) > server.clock(), 'locked after the threshold of wrong codes');
    // Locked: the right password is refused as any failure, and no code is asked for.
    const later = await atPasswordStep();
    const password = await later.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.deepEqual([password.status, password.body.error.code], [401, 'login.invalid_credentials']);
  });
});
