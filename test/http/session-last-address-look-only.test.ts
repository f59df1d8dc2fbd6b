// A copied session cookie must not hide its address from the session lists by sending
// the "look only" header (x-gatehouse-look-only) on its reads: a look is no use of the
// session (a page left open never keeps it alive), but a look from another address than
// the one last stored is one, since no page left open moves (src/sessions/index.ts,
// signedInFrom). Found by an audit of the last-used address (a63e180).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';

const OWNER_ADDRESS = '198.51.100.7';
const COPY_ADDRESS = '203.0.113.9';
const from = (address: string) => ({ 'x-forwarded-for': address });
const lookingFrom = (address: string) => ({ 'x-forwarded-for': address, 'x-gatehouse-look-only': '1' });

for (const engine of await enginesUnderTest()) describe(`a copied cookie reading with the look-only header still shows its address (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' } });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Look Hide Co', emailDomain: 'look-hide.test' });
  });
  after(() => server.close());

  test("reads of the company's data from elsewhere, each marked look-only, leave the owner's address as the last used", async () => {
    const company = await tenants.signedIn();
    const { agent } = company.root;
    server.clock.advance(61_000);
    assert.equal((await agent.get('/api/me', from(OWNER_ADDRESS))).status, 200);

    // The copy reads the account and the company from elsewhere, minutes on, every read marked "look only".
    for (let i = 0; i < 3; i += 1) {
      server.clock.advance(61_000);
      const me = await agent.get('/api/me', lookingFrom(COPY_ADDRESS));
      assert.equal(me.status, 200, JSON.stringify(me.body));
      const users = await agent.get('/api/company/users', lookingFrom(COPY_ADDRESS));
      assert.equal(users.status, 200, 'the data is read: ' + JSON.stringify(users.body));
      const sessions = await agent.get('/api/me/sessions', lookingFrom(COPY_ADDRESS));
      assert.equal(sessions.status, 200, JSON.stringify(sessions.body));
    }

    // The Master's view of the user (a look from the address last stored changes nothing).
    const listed = await agent.get(`/api/company/users/${company.root.id}/sessions`, lookingFrom(COPY_ADDRESS));
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const row = listed.body.sessions[0];
    assert.equal(row.lastSeenIp, COPY_ADDRESS, `the copy's reads from ${COPY_ADDRESS} are not shown: ${JSON.stringify(row)}`);
  });
});
