// Handing the Root Master role on. It goes to an active user with a password and a second
// factor, and a passkey or security key is one, as everywhere else: once only the
// authenticator app counted, so in a company whose people enrolled keys no one could
// become Root Master. And a 2FA reset waiting about the new Root Master is withdrawn: no
// Master may change the Root Master's account, so once it could be neither approved,
// rejected nor withdrawn, listed as waiting for seven days.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, inviteMail, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`the Root Master role handed on (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let operator: Agent;
  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Acme Key Transfer', 'root@key-transfer.test');
  });
  after(() => server.close());
  const root = () => acme.root.agent;
  const transfer = (userId: string) => withFreshProof(server, root(), () => root().post(`/api/company/users/${userId}/transfer-root-master`));

  test('a Master who enrolled a passkey at first login, and no app, can be made Root Master; one with no second factor cannot', async () => {
    const invited = await withFreshProof(server, root(), () => root().post('/api/company/users', { email: 'kim@key-transfer.test', username: 'kim', role: 'master' }));
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const kimId = invited.body.user.id as string;
    await signUp(server, (await inviteMail(server, acme.companyName, 'kim@key-transfer.test')).link);
    assert.deepEqual([(await transfer(kimId)).body.error?.code], ['user.not_eligible_root_master'], 'a password and no second factor yet');

    const kim = server.agent();
    await kim.post('/api/login/identify', { username: 'kim', companyName: acme.companyName });
    assert.equal((await kim.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'enroll');
    const key = new SoftAuthenticator(server.baseUrl, { synced: true });
    const options = await kim.post('/api/login/key-enrollment/options');
    assert.equal((await kim.post('/api/login/key-enrollment', { name: 'Kim key', response: key.register(options.body) })).status, 200);
    const keyOptions = await kim.post('/api/login/key/options');
    assert.equal((await kim.post('/api/login/key', { response: key.assert(keyOptions.body) })).status, 200);

    const made = await transfer(kimId);
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.equal((await kim.get('/api/me')).body.user.role, 'root_master');
    assert.equal((await root().get('/api/me')).body.user.role, 'master');
  });
  test('a 2FA reset waiting about the user made Root Master is withdrawn, and listed no more', async () => {
    // A company of its own: the test before handed acme's role on.
    const beta = await companyWithRootMaster(server, operator, 'Beta Transfer', 'root@beta-transfer.test');
    const betaRoot = beta.root.agent;
    const mia = await invitedMember(server, beta, betaRoot, { username: 'mia', role: 'master' });
    const uma = await invitedMember(server, beta, betaRoot, { username: 'uma', role: 'user' });
    assert.equal((await withFreshProof(server, betaRoot, () => betaRoot.post('/api/company/policy', { twoPerson2faReset: true }))).status, 200);
    const asked = await withFreshProof(server, mia.agent, () => mia.agent.post(`/api/company/users/${uma.id}/reset-2fa`));
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const made = await withFreshProof(server, betaRoot, () => betaRoot.post(`/api/company/users/${uma.id}/transfer-root-master`));
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const row = await dbOf(server).selectFrom('approvals').select('status').where('id', '=', asked.body.approvalId).executeTakeFirstOrThrow();
    assert.equal(row.status, 'rejected', 'closed as withdrawn');
    const listed = (await mia.agent.get('/api/company/approvals')).body.approvals as { id: string }[];
    assert.equal(listed.some((a) => a.id === asked.body.approvalId), false);
    const trail = await dbOf(server).selectFrom('audit_events').select('detail').where('action', '=', 'user.2fa_reset_withdrawn').where('target', '=', uma.id).execute();
    assert.equal(JSON.parse(trail[0]?.detail ?? '{}').because, 'user.became_root_master');
  });
});
