// Removing a passkey or security key is a sensitive change, as adding one is
// (docs/SECURITY.md "Step-up for sensitive changes"). Under a phishing-resistant policy the
// key is what makes the app's code not enough, at login and at POST /api/me/reauth alike.
// With the password alone, a borrowed cookie whose proof is stale removed it; then a
// phished code proved the session (the user no longer held a key), a key of the
// attacker's was added, and it signed in by itself. The removal now answers 403
// reauth.required until the session proves itself with what the policy accepts (the key),
// or was just signed in (a recovery code is the break-glass login for a lost key).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, invitedMember, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { policyByClient, signedInWithKey } from '../helpers/key-policy.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { proveSession, rememberSecret } from '../helpers/step-up.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const MINUTE = 60_000;

for (const engine of await enginesUnderTest()) describe(`step-up before a key is removed (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let savePolicy: Awaited<ReturnType<typeof policyByClient>>;
  let count = 0;

  before(async () => {
    server = await startTestServer({ engine });
    const operator = await signedInOperator(server);
    const made = await companyWithRootMaster(server, operator.agent, 'Key Removal Co', 'root@key-removal.test');
    // The policy below holds everyone to keys and ends the sessions no key signed: the Root
    // Master, who invites, signs in with one; the policy is saved by the company's client.
    const byKey = await signedInWithKey(server, made.root.agent, { username: made.root.username, companyName: made.companyName });
    rememberSecret(byKey.agent, made.root.totpSecret);
    company = { ...made, root: { ...made.root, agent: byKey.agent } };
    savePolicy = await policyByClient(server, company.companyId);
  });
  after(() => server.close());

  const keysOf = async (userId: string) =>
    (await dbOf(server).selectFrom('webauthn_credentials').select('id').where('company_id', '=', company.companyId).where('user_id', '=', userId).execute()).length;

  /** At the code step of a new login. */
  async function toCodeStep(person: Person) {
    server.clock.advance(30_000);
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: person.username, companyName: company.companyName });
    const answer = await agent.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.equal(answer.body.step, 'totp', JSON.stringify(answer.body));
    return agent;
  }

  async function keyLogin(agent: Agent, key: SoftAuthenticator) {
    const options = await agent.post('/api/login/key/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const done = await agent.post('/api/login/key', { response: key.assert(options.body) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
  }

  /** A User with the app and ten recovery codes, then a key added in a fresh session, signed in with that key. */
  async function userWithAppAndKey() {
    count += 1;
    const person = await invitedMember(server, company, company.root.agent, { username: `kit${count}`, role: 'user' });
    const codes = await person.agent.post('/api/me/recovery-codes', proofOf(server, person));
    assert.equal(codes.status, 200, JSON.stringify(codes.body));
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await person.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await person.agent.post('/api/me/security-keys', { response: key.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const agent = await toCodeStep(person);
    await keyLogin(agent, key);
    return { person: { ...person, agent }, key, keyId: added.body.id as string, recoveryCodes: codes.body.recoveryCodes as string[] };
  }

  async function setPolicy(phishingResistant: 'everyone' | 'off') {
    await savePolicy({ phishingResistant });
  }

  const remove = (agent: Agent, keyId: string) => agent.post(`/api/me/security-keys/${keyId}/remove`, { password: STRONG_PASSWORD });

  test('held to keys: a stale session with the password (and a phished code) cannot remove the key, so the code never signs in', async () => {
    const { person, keyId } = await userWithAppAndKey();
    await setPolicy('everyone');
    try {
      const thief = person.agent;
      server.clock.advance(11 * MINUTE);
      assert.equal((await thief.get('/api/me')).status, 200);

      // The app's code proves nothing for a user the policy holds to keys...
      const codeProof = await thief.post('/api/me/reauth', proofOf(server, person));
      assert.equal(codeProof.status, 403, JSON.stringify(codeProof.body));
      assert.equal(codeProof.body.error.code, 'reauth.key_required');
      // ...and the password alone does not take the key away.
      const removed = await remove(thief, keyId);
      assert.equal(removed.status, 403, JSON.stringify(removed.body));
      assert.equal(removed.body.error.code, 'reauth.required');
      assert.equal(await keysOf(person.id), 1);

      // So the code still proves nothing, at step-up or at login.
      assert.equal((await thief.post('/api/me/reauth', proofOf(server, person))).body.error?.code, 'reauth.key_required');
      const login = await toCodeStep(person);
      const refused = await login.post('/api/login/totp', { code: totpAt(person.totpSecret, server.clock()) });
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'login.key_required');
      assert.equal((await login.get('/api/me')).status, 401);
    } finally {
      await setPolicy('off');
    }
  });

  test('held to keys: the owner removes a key after proving with it, or in the minutes after a recovery-code login (the key lost)', async () => {
    const { person, key, keyId, recoveryCodes } = await userWithAppAndKey();
    await setPolicy('everyone');
    try {
      const spare = new SoftAuthenticator(server.baseUrl);
      const options = await person.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
      assert.equal(options.status, 200, JSON.stringify(options.body));
      const second = await person.agent.post('/api/me/security-keys', { response: spare.register(options.body) });
      assert.equal(second.status, 200, JSON.stringify(second.body));

      // Stale, then proved with a key: the removal goes through.
      server.clock.advance(11 * MINUTE);
      assert.equal((await remove(person.agent, second.body.id)).body.error?.code, 'reauth.required');
      const challenge = await person.agent.post('/api/me/reauth/key-options');
      assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
      const proved = await person.agent.post('/api/me/reauth', { password: STRONG_PASSWORD, key: key.assert(challenge.body) });
      assert.equal(proved.status, 200, JSON.stringify(proved.body));
      assert.equal((await remove(person.agent, second.body.id)).status, 200);
      assert.equal(await keysOf(person.id), 1);

      // The last key lost: a recovery code signs in (break-glass), and that fresh login is the proof.
      const recovering = await toCodeStep(person);
      const recovered = await recovering.post('/api/login/recovery', { code: recoveryCodes[0] });
      assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
      assert.equal((await remove(recovering, keyId)).status, 200);
      assert.equal(await keysOf(person.id), 0);
    } finally {
      await setPolicy('off');
    }
  });

  test('without a policy too: a stale session needs a fresh proof to remove a key; a fresh login or POST /api/me/reauth is one', async () => {
    const { person, keyId } = await userWithAppAndKey();
    // Just signed in (with the key): the login is the proof.
    const options = await person.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
    const spare = new SoftAuthenticator(server.baseUrl);
    const second = await person.agent.post('/api/me/security-keys', { response: spare.register(options.body) });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal((await remove(person.agent, second.body.id)).status, 200);

    server.clock.advance(11 * MINUTE);
    const stale = await remove(person.agent, keyId);
    assert.equal(stale.status, 403, JSON.stringify(stale.body));
    assert.equal(stale.body.error.code, 'reauth.required');
    assert.equal(await keysOf(person.id), 1);
    await proveSession(server, person);
    // A wrong password still refuses, proved or not.
    const misproved = await person.agent.post(`/api/me/security-keys/${keyId}/remove`, { password: 'Not-The-Password-1!' });
    assert.equal(misproved.status, 400, JSON.stringify(misproved.body));
    assert.equal((await remove(person.agent, keyId)).status, 200);
    assert.equal(await keysOf(person.id), 0);
  });
});
