// A passkey signs in by itself (no app code) and outlives the owner's password change, so
// adding one is a sensitive change (docs/SECURITY.md "Step-up for sensitive changes"):
// with the password alone, a borrowed cookie whose proof is stale could plant a key, sign
// in with it (a login is a proof) and then make every sensitive change without ever
// knowing the second factor. The key's options answer 403 reauth.required until the
// session proves itself with password and code (or a key), or was just signed in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, logInAgain, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { proveSession } from '../helpers/step-up.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const MINUTE = 60_000;

for (const engine of await enginesUnderTest()) describe(`step-up before a key is added (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;

  before(async () => {
    server = await startTestServer({ engine });
    const operator = await signedInOperator(server);
    company = await companyWithRootMaster(server, operator.agent, 'Key Plant Co', 'root@key-plant.test');
  });
  after(() => server.close());

  const keysOfRoot = async () =>
    (await dbOf(server).selectFrom('webauthn_credentials').select('id').where('company_id', '=', company.companyId).execute()).length;

  test('a stale session with the password but not the code plants no key, so cannot reach a sensitive change', async () => {
    const thief = (await logInAgain(server, company, company.root)).agent;
    server.clock.advance(11 * MINUTE);
    assert.equal((await thief.get('/api/me')).status, 200);
    const evil = { email: 'evil@attacker.test', username: 'evil', role: 'master' };
    assert.equal((await thief.post('/api/company/users', evil)).body.error?.code, 'reauth.required');

    // The password alone (phished with the cookie) is not the proof a key needs.
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await thief.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
    assert.equal(options.status, 403, JSON.stringify(options.body));
    assert.equal(options.body.error.code, 'reauth.required');
    // No challenge was made: an answer made up for these options is not taken either.
    const made = await thief.post('/api/me/security-keys', { response: key.register({ challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', rp: {}, user: { id: 'AAAA' } }) });
    assert.notEqual(made.status, 200, JSON.stringify(made.body));
    assert.equal(await keysOfRoot(), 0);

    // So no passkey login, and no Master planted.
    const browser = server.agent();
    const loginOptions = await browser.post('/api/login/passkey/options', {});
    assert.equal(loginOptions.status, 200, JSON.stringify(loginOptions.body));
    assert.notEqual((await browser.post('/api/login/passkey', { response: key.assert(loginOptions.body) })).status, 200);
    assert.equal((await browser.post('/api/company/users', evil)).status, 401);
    assert.equal(await dbOf(server).selectFrom('users').select('id').where('username', '=', 'evil').executeTakeFirst(), undefined);
  });

  test('after POST /api/me/reauth (or a fresh login) the owner adds a key as before', async () => {
    const owner = await logInAgain(server, company, company.root);
    // Just signed in: the login is the proof.
    const fresh = new SoftAuthenticator(server.baseUrl);
    const first = await owner.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal((await owner.agent.post('/api/me/security-keys', { response: fresh.register(first.body) })).status, 200);

    server.clock.advance(11 * MINUTE);
    const second = new SoftAuthenticator(server.baseUrl);
    assert.equal((await owner.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD })).body.error?.code, 'reauth.required');
    await proveSession(server, owner);
    const options = await owner.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await owner.agent.post('/api/me/security-keys', { response: second.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal(await keysOfRoot(), 2);
  });
});
