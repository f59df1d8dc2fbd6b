// The Root Master role goes to an active user with a password and a second factor, and a
// passkey or security key is one, as everywhere else: once only the authenticator app
// counted, so in a company whose people enrolled keys no one could become Root Master.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, inviteMail, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`the Root Master role to a user whose second factor is a key (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  before(async () => {
    server = await startTestServer({ engine });
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Key Transfer', 'root@key-transfer.test');
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
});
