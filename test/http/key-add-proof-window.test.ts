// Adding a passkey or security key is a sensitive change (docs/SECURITY.md "Step-up for
// sensitive changes"): the session must have proved it is its user less than 10 minutes
// ago. The proof is checked when the ceremony starts (its options); the key is written when
// the browser's answer comes back, up to five minutes later (the challenge's lifetime). A
// key must not be planted by a session whose proof is already stale when the key is written,
// however recently the ceremony began.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const MINUTE = 60_000;

for (const engine of await enginesUnderTest()) describe(`a key is added only within the proof's 10 minutes (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Key Window Co', emailDomain: 'key-window.test' });
  });
  after(() => server.close());

  test('options taken just inside the window do not let the key be written once the proof is stale', async () => {
    const member = await tenants.member();
    const keysOf = async () =>
      (await server.gatehouse.deps.db.selectFrom('webauthn_credentials').select('id').where('company_id', '=', member.companyId).execute()).length;
    // The login (the proof) was half a minute ago; nine minutes on it is still fresh.
    server.clock.advance(9 * MINUTE);
    const options = await member.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
    assert.equal(options.status, 200, JSON.stringify(options.body));

    // Two minutes later the challenge is still alive (five minutes), the proof is not.
    server.clock.advance(2 * MINUTE);
    const again = await member.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
    assert.equal(again.body.error?.code, 'reauth.required', 'the session is past its proof now');

    const key = new SoftAuthenticator(server.baseUrl);
    const added = await member.agent.post('/api/me/security-keys', { name: 'Late key', response: key.register(options.body) });
    assert.equal(added.status, 403, `a key written with a stale proof: ${JSON.stringify(added.body)}`);
    assert.equal(added.body.error?.code, 'reauth.required');
    assert.equal(await keysOf(), 0, 'no key stored');
  });
});
