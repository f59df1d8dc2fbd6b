// A login reads the company's key policy (phishingResistant) at its code step, then makes
// its session in a later write. A policy that comes to hold the user to keys between the
// two ends every session no key signed (companies/policy.ts endSessionsNowHeldToKeys), so
// a session the login made just after, with the app's code, would be one the policy never
// saw. The write that makes the session holds only while the key policy is still the one
// the login was decided on (lockout.ts mayFinishLogin): the login ends, and starting again
// asks for the key. The same holds for a User made a Master while the policy holds Masters
// to keys. Each code step here is held before its transaction begins while an API client
// of the company tightens the policy or promotes the user, on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { invitedMember, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextTransaction, racedAtHold } from '../helpers/held-transaction.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { keyAdded, policyByClient } from '../helpers/key-policy.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

for (const engine of await enginesUnderTest()) describe(`a key requirement saved while a login waits at its code step (${engine})`, () => {
  let server: TestServer;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine });
    ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Key Policy Late', emailDomain: 'key-policy-late.test' }));
  });
  after(() => server.close());

  /** A new browser of `who`, past the password step: at the code step, which offers the app's code. */
  async function atCodeStep(company: SignedInCompany, who: Person): Promise<Agent> {
    server.clock.advance(30_000);
    const agent = server.agent();
    assert.equal((await agent.post('/api/login/identify', { username: who.username, companyName: company.companyName })).status, 200);
    const password = await agent.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.deepEqual([password.body.step, password.body.secondFactors?.includes('app')], ['totp', true], JSON.stringify(password.body));
    return agent;
  }

  /** The app's code sent from `browser`, held at its transaction while `meanwhile` runs. */
  const codeWhile = (who: Person, browser: Agent, meanwhile: () => Promise<void>) =>
    racedAtHold(holdNextTransaction(server, '/src/login/code-attempt.ts'), () => browser.post('/api/login/totp', { code: totpAt(who.totpSecret, server.clock()) }), meanwhile);

  /** The same while everyone is held to keys. */
  async function codeWhileKeysRequired(company: SignedInCompany, who: Person, browser: Agent) {
    const setPolicy = await policyByClient(server, company.companyId);
    return codeWhile(who, browser, async () => void (await setPolicy({ phishingResistant: 'everyone' })));
  }

  /** A session of `browser` made, or not: the login's answer, and whether it is signed in. */
  async function assertNoSession(answer: { status: number; body: any }, browser: Agent) {
    assert.deepEqual([answer.status, answer.body.error?.code], [409, 'login.flow_expired'], JSON.stringify(answer.body));
    assert.equal((await browser.get('/api/me')).status, 401, 'no session made with the app code');
  }

  test('a user with a key: the app code in flight makes no session, and the next login asks for the key', async () => {
    const company = await tenants.signedIn();
    const kim = await invitedMember(server, company, company.root.agent, { username: 'kim', role: 'user' });
    await keyAdded(server, kim.agent);
    const browser = await atCodeStep(company, kim);
    await assertNoSession(await codeWhileKeysRequired(company, kim, browser), browser);
    const again = server.agent();
    assert.equal((await again.post('/api/login/identify', { username: 'kim', companyName: company.companyName })).status, 200);
    const password = await again.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.deepEqual(password.body.secondFactors, ['key', 'recovery_code'], JSON.stringify(password.body));
  });

  test('a user with no key: the app code in flight makes no session, and the next login sets a key up first', async () => {
    const company = await tenants.signedIn();
    const tess = await invitedMember(server, company, company.root.agent, { username: 'tess', role: 'user' });
    const browser = await atCodeStep(company, tess);
    await assertNoSession(await codeWhileKeysRequired(company, tess, browser), browser);
    server.clock.advance(30_000);
    const again = server.agent();
    assert.equal((await again.post('/api/login/identify', { username: 'tess', companyName: company.companyName })).status, 200);
    assert.equal((await again.post('/api/login/password', { password: STRONG_PASSWORD })).status, 200);
    const code = await again.post('/api/login/totp', { code: totpAt(tess.totpSecret, server.clock()) });
    assert.equal(code.body.step, 'key_enroll', JSON.stringify(code.body));
  });

  test('a User made a Master while Masters are held to keys: the app code in flight makes no session', async () => {
    const company = await tenants.signedIn();
    const lee = await invitedMember(server, company, company.root.agent, { username: 'lee', role: 'user' });
    await (await policyByClient(server, company.companyId))({ phishingResistant: 'masters' });
    const browser = await atCodeStep(company, lee);
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:write'], companyId: company.companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    await assertNoSession(
      await codeWhile(lee, browser, async () => {
        const promoted = await sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/users/${lee.id}/role`, token, { role: 'master' });
        assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
      }),
      browser,
    );
  });
});
