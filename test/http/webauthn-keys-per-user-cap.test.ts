// A person's passkeys and security keys have a total (MAX_KEYS_PER_USER, src/webauthn/keys.ts).
// The only bound was the rate of changes to ways in (20 an hour), so one user added 480
// keys a day without end, and every key is read by every login of its user and listed in
// its challenges (the code step's allowCredentials, step-up's, the registration's exclude
// list). Past the total, adding one is refused at its first step (`409 webauthn.too_many`,
// before the authenticator is asked) and at its last, under the user's row lock; removing
// one frees its place. Found by an audit of the company totals (fa6679d).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, pastPassword, signedInOperator } from '../helpers/journey.ts';
import { policyByClient } from '../helpers/key-policy.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';
import { MAX_KEYS_PER_USER as KEYS } from '../../src/webauthn/index.ts';
import { SIGNED_IN_WRITE_CAPS } from '../../src/shared/signed-in-writes.ts';

const PER_HOUR = SIGNED_IN_WRITE_CAPS.credentialChanges.limit;

for (const engine of await enginesUnderTest()) describe(`a user's keys have a total (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Many Keys Co', emailDomain: 'many-keys.test' });
  });
  after(() => server.close());

  async function addKey(agent: Agent, password: string, name: string) {
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await agent.post('/api/me/security-keys/options', { password });
    if (options.status !== 200) return options;
    return agent.post('/api/me/security-keys', { name, response: key.register(options.body) });
  }

  test(`one user adds keys up to ${KEYS}: the next is refused before the authenticator is asked; removing one frees a place`, async () => {
    const member = await tenants.member();
    let added = 0;
    let agent: Agent = member.agent;
    // The hour's slots of changes to ways in, a fresh login each hour (the session idles out meanwhile).
    while (added < KEYS) {
      for (let i = 0; i < PER_HOUR && added < KEYS; i += 1) {
        const answer = await addKey(agent, member.password, `Key ${added + 1}`);
        assert.equal(answer.status, 200, `key ${added + 1}: ${JSON.stringify(answer.body)}`);
        added += 1;
      }
      if (added < KEYS) {
        server.clock.advance(121 * 60_000);
        agent = server.agent();
        await logIn(server, agent, member);
      }
    }
    const refused = await agent.post('/api/me/security-keys/options', { password: member.password });
    assert.deepEqual([refused.status, refused.body.error?.code], [409, 'webauthn.too_many'], JSON.stringify(refused.body));
    assert.match(refused.body.error.message, new RegExp(`${KEYS} passkeys and security keys`));

    // Two registrations begun in two sessions with one place left: the one finished second is
    // refused at its end, and writes nothing.
    // Two hours on (the cap on changes to ways in counts any hour: removing is one too), one removed.
    server.clock.advance(121 * 60_000);
    const first = server.agent();
    await logIn(server, first, member);
    const keys = await first.get('/api/me/security-keys');
    assert.equal(keys.body.keys.length, KEYS);
    const removed = await first.post(`/api/me/security-keys/${keys.body.keys[0].id}/remove`, { password: member.password });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    server.clock.advance(30_000);
    const second = server.agent();
    await logIn(server, second, member);
    const [firstKey, secondKey] = [new SoftAuthenticator(server.baseUrl), new SoftAuthenticator(server.baseUrl)];
    const firstOptions = await first.post('/api/me/security-keys/options', { password: member.password });
    const secondOptions = await second.post('/api/me/security-keys/options', { password: member.password });
    assert.deepEqual([firstOptions.status, secondOptions.status], [200, 200], 'a place is free again');
    const made = await first.post('/api/me/security-keys', { name: 'The last place', response: firstKey.register(firstOptions.body) });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const late = await second.post('/api/me/security-keys', { name: 'One too many', response: secondKey.register(secondOptions.body) });
    assert.deepEqual([late.status, late.body.error?.code], [409, 'webauthn.too_many'], JSON.stringify(late.body));
    assert.equal((await first.get('/api/me/security-keys')).body.keys.length, KEYS, 'nothing written past the total');

    // The login's challenge lists no more than the total.
    const { agent: login } = await pastPassword(server, member);
    const challenge = await login.post('/api/login/key/options');
    assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
    assert.equal((challenge.body.allowCredentials as unknown[]).length, KEYS);
  });

  test(`a person whose ${KEYS} keys were all switched off, under a policy that requires a key, adds one at the login in the place of the oldest`, async () => {
    const member = await tenants.member();
    const db = server.gatehouse.storage.db;
    const me = (await member.agent.get('/api/me')).body.user as { id: string };
    // Set-up only: the keys as rows (adding 20 over HTTP takes the hours of the cap above),
    // each switched off, as a copy seen at a login switches its key off.
    for (let i = 0; i < KEYS; i += 1) {
      await db
        .insertInto('webauthn_credentials')
        .values({
          id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          company_id: member.companyId,
          user_id: me.id,
          credential_id: `copied-key-${i}`,
          public_key: 'AAAA',
          counter: 0,
          transports: '[]',
          name: `Copied ${i}`,
          aaguid: '00000000-0000-0000-0000-000000000000',
          device_type: 'singleDevice',
          backed_up: 0,
          user_verified: 1,
          created_at: server.clock() - (KEYS - i) * 60_000,
          last_used_at: null,
          switched_off_at: server.clock() - 1000,
        })
        .execute();
    }
    await (await policyByClient(server, member.companyId))({ phishingResistant: 'everyone' });

    server.clock.advance(30_000);
    const { agent } = await pastPassword(server, member);
    const code = await agent.post('/api/login/totp', { code: totpAt(member.totpSecret, server.clock()) });
    assert.equal(code.body.step, 'key_enroll', JSON.stringify(code.body));
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await agent.post('/api/login/key-enrollment/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await agent.post('/api/login/key-enrollment', { name: 'New key', response: key.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const signIn = await agent.post('/api/login/key/options');
    assert.equal((await agent.post('/api/login/key', { response: key.assert(signIn.body) })).status, 200, 'signed in with the new key');

    const rows = await db.selectFrom('webauthn_credentials').select(['name', 'switched_off_at']).where('user_id', '=', me.id).orderBy('created_at').execute();
    assert.equal(rows.length, KEYS, 'still the total');
    assert.ok(!rows.some((r) => r.name === 'Copied 0'), 'the oldest switched-off key gave its place');
    assert.equal(rows.filter((r) => r.switched_off_at === null).map((r) => r.name).join(), 'New key');
    const trail = await db.selectFrom('audit_events').select('detail').where('target', '=', me.id).where('action', '=', 'webauthn.removed').execute();
    assert.equal(JSON.parse(trail[0]?.detail ?? '{}').reason, 'switched_off_replaced');
  });
});
