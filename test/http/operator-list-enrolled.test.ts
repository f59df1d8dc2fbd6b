// The operator's company list says whether each Root Master has set up 2FA
// (`rootMaster.enrolled`; the CLI's request list reads the same entry). The rule is the
// one of the compliance report and the Users list: the app, or at least one passkey or
// security key (hasSecondFactor, src/users/store.ts). The list read the app's enrolment
// alone, so a Root Master who chose a passkey at "Your Security Matters" was listed as
// having no 2FA (withRootMaster, src/companies/directory.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`operator company list: a key counts as 2FA (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Factor Probe Co', emailDomain: 'factor-probe.test' });
  });
  after(() => server.close());

  const listed = async (companyName: string) => {
    const list = await (await tenants.operatorAgent()).get(`/api/operator/companies?q=${encodeURIComponent(companyName)}`);
    const entry = (list.body.companies as Array<{ name: string; rootMaster: { signedUp: boolean; enrolled: boolean } }>).find((c) => c.name === companyName);
    assert.ok(entry, JSON.stringify(list.body));
    return entry.rootMaster;
  };

  test('signed up with no second factor yet: not enrolled; with the app: enrolled', async () => {
    const pending = await tenants.signedUp();
    const shown = await listed(pending.companyName);
    assert.deepEqual([shown.signedUp, shown.enrolled], [true, false]);
    const withApp = await tenants.signedIn();
    assert.equal((await listed(withApp.companyName)).enrolled, true);
  });

  test('a Root Master enrolled with a passkey only is listed as enrolled', async () => {
    const who = await tenants.signedUp();
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName });
    assert.equal((await agent.post('/api/login/password', { password: who.password })).body.step, 'enroll');
    const options = await agent.post('/api/login/key-enrollment/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const key = new SoftAuthenticator(server.baseUrl, { synced: true });
    const added = await agent.post('/api/login/key-enrollment', { name: 'Passkey', response: key.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const keyOptions = await agent.post('/api/login/key/options');
    assert.equal((await agent.post('/api/login/key', { response: key.assert(keyOptions.body) })).status, 200, 'signed in with the key');

    assert.equal((await listed(who.companyName)).enrolled, true);
  });
});
