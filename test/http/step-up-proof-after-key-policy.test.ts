// A company that holds its users to passkeys or security keys (phishingResistant) refuses
// the app's code as a proof before a sensitive change (403 reauth.key_required), and the
// policy "takes effect at once" (docs/SECURITY.md): sessions no key signed end when it is
// tightened. A session a key signed goes on, but a step-up stamp it got earlier from the
// app's code (allowed then) is a proof by the factor the policy now refuses: it must not
// keep making sensitive changes (inviting a Master) after the policy is tightened. The
// tightening withdraws such sessions' proofs (endSessionsWithoutKey); their login, made
// with a key, is again the only proof they hold. A change already past its guard when the
// policy is tightened checks the proof again in its transaction (checkSignedInTransactions).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextTransaction, racedAtHold } from '../helpers/held-transaction.ts';
import { keyAdded, keyLogIn, policyByClient } from '../helpers/key-policy.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';

const MINUTE = 60_000;

for (const engine of await enginesUnderTest()) describe(`a code-made proof after the company requires keys (${engine})`, () => {
  let server: TestServer;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine });
    ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Proof Factor Co', emailDomain: 'proof-factor.test' }));
  });
  after(() => server.close());

  test('a stamp proved with the app code does not carry a sensitive change once keys are required', async () => {
    const co = await tenants.signedIn();
    const key = await keyAdded(server, co.root.agent);
    const byKey = await keyLogIn(server, { username: co.root.username, companyName: co.companyName }, key);

    // Past the login's proof; with no policy yet, password and app code prove the session.
    server.clock.advance(11 * MINUTE);
    const proved = await byKey.post('/api/me/reauth', proofOf(server, co.root));
    assert.equal(proved.status, 200, JSON.stringify(proved.body));

    // The company now requires keys of everyone (an API client: no session of its own).
    await (await policyByClient(server, co.companyId))({ phishingResistant: 'everyone' });
    assert.equal((await byKey.get('/api/me')).status, 200, 'a key session goes on (by design)');
    const codeNow = await byKey.post('/api/me/reauth', proofOf(server, co.root));
    assert.equal(codeNow.body.error?.code, 'reauth.key_required', 'the app code no longer proves this user');

    // So the stamp the app code made minutes ago must not stand in for that proof either.
    const invited = await byKey.post('/api/company/users', { email: 'planted@attacker.test', username: 'planted', role: 'master' });
    assert.equal(invited.status, 403, `a Master invited on a code-made proof under a key policy: ${JSON.stringify(invited.body)}`);
    assert.equal(invited.body.error?.code, 'reauth.required');
    const planted = await server.gatehouse.deps.db.selectFrom('users').select('id').where('company_id', '=', co.companyId).where('username', '=', 'planted').executeTakeFirst();
    assert.equal(planted, undefined, 'no Master planted');
  });

  test('a sensitive change already past its guard when keys become required: refused in its transaction, nothing written', async () => {
    const co = await tenants.signedIn();
    const key = await keyAdded(server, co.root.agent);
    const byKey = await keyLogIn(server, { username: co.root.username, companyName: co.companyName }, key);
    server.clock.advance(11 * MINUTE);
    assert.equal((await byKey.post('/api/me/reauth', proofOf(server, co.root))).status, 200);
    const tighten = await policyByClient(server, co.companyId);

    // The invitation passes its guard on the code-made proof, and is held at its transaction while the policy changes.
    const invite = () => byKey.post('/api/company/users', { email: 'planted-in-flight@attacker.test', username: 'plantedinflight', role: 'master' });
    const invited = await racedAtHold(holdNextTransaction(server, '/src/users/invitations.ts'), invite, async () => {
      await tighten({ phishingResistant: 'everyone' });
    });
    assert.deepEqual([invited.status, invited.body.error?.code], [403, 'reauth.required'], JSON.stringify(invited.body));
    const planted = await server.gatehouse.deps.db.selectFrom('users').select('id').where('company_id', '=', co.companyId).where('username', '=', 'plantedinflight').executeTakeFirst();
    assert.equal(planted, undefined, 'no Master planted');
    assert.equal(server.mail.messages.filter((m) => m.to.includes('planted-in-flight@attacker.test')).length, 0, 'no invitation mailed');
  });

  test('a sensitive change on a proof still standing goes through, held the same way', async () => {
    const co = await tenants.signedIn();
    const key = await keyAdded(server, co.root.agent);
    const byKey = await keyLogIn(server, { username: co.root.username, companyName: co.companyName }, key);
    const invite = () => byKey.post('/api/company/users', { email: 'welcome@proof-factor.test', username: 'welcomed', role: 'master' });
    const invited = await racedAtHold(holdNextTransaction(server, '/src/users/invitations.ts'), invite, async () => {});
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
  });
});
