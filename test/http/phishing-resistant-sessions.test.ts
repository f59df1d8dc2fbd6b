// The company policy that holds users to passkeys or security keys (phishingResistant)
// applies at once to the sessions that already exist, as a tightened allowlist does: a
// session no key signed, of a user the policy now covers, ends with the module tokens it
// led to; a session a key signed, and the sessions of users it does not cover, go on. A
// User made a Master (or the Root Master) under `masters` loses their sessions without a
// key the same way. A Master whose own session no key signed is refused the change that
// would end it (policy.key_sign_in_required), so nobody saves themselves out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { invitedMember } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { keyAdded, keyLogIn, policyByClient, signedInWithKey } from '../helpers/key-policy.ts';
import { client, grantedModule, signInToModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';

for (const engine of await enginesUnderTest()) describe(`a key requirement ends the sessions no key signed (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine });
    ({ operator, tenants } = await operatorWithTenants(server, { namePrefix: 'Key Sessions', emailDomain: 'key-sessions.test' }));
  });
  after(() => server.close());

  /** Signed in to a module with `agent`'s session: its access and refresh tokens. */
  async function moduleTokens(module: Awaited<ReturnType<typeof grantedModule>>, agent: Agent) {
    const signedIn = await signInToModule(module.config, agent, { scope: 'openid offline_access' });
    assert.ok(signedIn.tokens.refresh_token);
    return { access: signedIn.tokens.access_token, refresh: signedIn.tokens.refresh_token };
  }

  async function assertModuleAccessEnded(module: Awaited<ReturnType<typeof grantedModule>>, tokens: { access: string; refresh: string }) {
    assert.equal((await client.tokenIntrospection(module.config, tokens.access)).active, false, 'module access token');
    assert.equal((await client.tokenIntrospection(module.config, tokens.refresh)).active, false, 'module refresh token');
    await assert.rejects(client.refreshTokenGrant(module.config, tokens.refresh), (error: { error?: string }) => error.error === 'invalid_grant');
  }

  test('everyone: a Master on a code session is refused; from a key session it ends every session no key signed, with its module tokens', async () => {
    const co = await tenants.signedIn();
    const module = await grantedModule(server, operator, co.companyId);
    const tess = await invitedMember(server, co, co.root.agent, { username: 'tess', role: 'user' });
    const tessTokens = await moduleTokens(module, tess.agent);
    const kim = await invitedMember(server, co, co.root.agent, { username: 'kim', role: 'user' });
    const kimByKey = await signedInWithKey(server, kim.agent, { username: 'kim', companyName: co.companyName });
    const kimKeyTokens = await moduleTokens(module, kimByKey.agent);

    // The Root Master's session was made with the app's code: this change would end it.
    const refused = await co.root.agent.post('/api/company/policy', { phishingResistant: 'everyone' });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'policy.key_sign_in_required');
    assert.ok(refused.body.error.fields.phishingResistant);
    assert.equal((await co.root.agent.get('/api/company/policy')).body.policy.phishingResistant, 'off', 'nothing saved');
    assert.equal((await tess.agent.get('/api/me')).status, 200, 'nothing ended');

    const rootByKey = await signedInWithKey(server, co.root.agent, { username: co.root.username, companyName: co.companyName });
    const saved = await rootByKey.agent.post('/api/company/policy', { phishingResistant: 'everyone' });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));

    assert.equal((await tess.agent.get('/api/me')).status, 401, "a User's code session ended");
    await assertModuleAccessEnded(module, tessTokens);
    assert.equal((await kim.agent.get('/api/me')).status, 401, "kim's code session ended");
    assert.equal((await co.root.agent.get('/api/me')).status, 401, "the Root Master's own code session ended");
    assert.equal((await kimByKey.agent.get('/api/me')).status, 200, 'a key session goes on');
    assert.equal((await client.tokenIntrospection(module.config, kimKeyTokens.access)).active, true, 'with its module tokens');
    assert.equal((await rootByKey.agent.get('/api/me')).status, 200, "the saver's key session goes on");
  });

  test('masters, saved by an API client: the Masters\' code sessions end, a User\'s goes on; then everyone ends the User\'s', async () => {
    const co = await tenants.signedIn();
    const module = await grantedModule(server, operator, co.companyId);
    const max = await invitedMember(server, co, co.root.agent, { username: 'max', role: 'master' });
    const maxTokens = await moduleTokens(module, max.agent);
    const uma = await invitedMember(server, co, co.root.agent, { username: 'uma', role: 'user' });
    const umaTokens = await moduleTokens(module, uma.agent);

    const setPolicy = await policyByClient(server, co.companyId);
    await setPolicy({ phishingResistant: 'masters' });
    assert.equal((await max.agent.get('/api/me')).status, 401, "a Master's code session ended");
    await assertModuleAccessEnded(module, maxTokens);
    assert.equal((await co.root.agent.get('/api/me')).status, 401, "the Root Master's code session ended");
    assert.equal((await uma.agent.get('/api/me')).status, 200, 'a User is not held to keys');
    assert.equal((await client.tokenIntrospection(module.config, umaTokens.access)).active, true);

    await setPolicy({ phishingResistant: 'everyone' });
    assert.equal((await uma.agent.get('/api/me')).status, 401, 'now the User is');
    await assertModuleAccessEnded(module, umaTokens);
  });

  test('masters: a User made a Master, or the Root Master, loses the sessions no key signed; a key session goes on', async () => {
    const co = await tenants.signedIn();
    const module = await grantedModule(server, operator, co.companyId);
    const uma = await invitedMember(server, co, co.root.agent, { username: 'uma', role: 'user' });
    const umaTokens = await moduleTokens(module, uma.agent);
    const kim = await invitedMember(server, co, co.root.agent, { username: 'kim', role: 'user' });
    const kimByKey = await keyLogIn(server, { username: 'kim', companyName: co.companyName }, await keyAdded(server, kim.agent));
    const ria = await invitedMember(server, co, co.root.agent, { username: 'ria', role: 'user' });
    const rootByKey = await signedInWithKey(server, co.root.agent, { username: co.root.username, companyName: co.companyName });
    const root = rootByKey.agent;
    assert.equal((await root.post('/api/company/policy', { phishingResistant: 'masters' })).status, 200);
    assert.equal((await uma.agent.get('/api/me')).status, 200, 'a User, not held to keys');

    const promoted = await withFreshProof(server, root, () => root.post(`/api/company/users/${uma.id}/role`, { role: 'master' }));
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.equal((await uma.agent.get('/api/me')).status, 401, 'no Master pages on a code session');
    assert.equal((await uma.agent.get('/api/company/users')).status, 401);
    await assertModuleAccessEnded(module, umaTokens);

    const kimPromoted = await withFreshProof(server, root, () => root.post(`/api/company/users/${kim.id}/role`, { role: 'master' }));
    assert.equal(kimPromoted.status, 200, JSON.stringify(kimPromoted.body));
    assert.equal((await kimByKey.get('/api/company/users')).status, 200, 'a key session is a Master at once');
    assert.equal((await kim.agent.get('/api/me')).status, 401, "kim's code session ended");

    const transferred = await withFreshProof(server, root, () => root.post(`/api/company/users/${ria.id}/transfer-root-master`));
    assert.equal(transferred.status, 200, JSON.stringify(transferred.body));
    assert.equal((await ria.agent.get('/api/me')).status, 401, 'the new Root Master signs in with a key');
    assert.equal((await root.get('/api/me')).status, 200, 'the former Root Master, a Master on a key session, goes on');
  });
});
