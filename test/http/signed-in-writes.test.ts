// What a signed-in user can make the company's audit trail hold by repeating a request
// that costs nothing (src/shared/signed-in-writes.ts): a save that changes nothing writes
// nothing, changes to one's own profile (display name, a key's name) are capped per user
// (past the cap: 429 and nothing changes, so the trail still holds every change), and
// one's own refused proofs are recorded up to a cap, then once as audit.refusals_dropped.
// Before, any User could write an event per request, forever.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SIGNED_IN_WRITE_CAPS } from '../../src/shared/signed-in-writes.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`a signed-in user cannot fill the audit trail (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Trail Co', emailDomain: 'trail.test' });
  });
  after(() => server.close());

  const count = async (companyId: string, action: string) =>
    Number(
      (
        await server.gatehouse.deps.db
          .selectFrom('audit_events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('company_id', '=', companyId)
          .where('action', '=', action)
          .executeTakeFirstOrThrow()
      ).n,
    );

  test('display name: a save that changes nothing writes nothing; changes are capped per user, past the cap 429 and unchanged', async () => {
    const m = await tenants.member();
    const { limit } = SIGNED_IN_WRITE_CAPS.profileEdits;
    for (let i = 0; i < limit + 20; i++) assert.equal((await m.agent.post('/api/me/profile', { displayName: 'Dana Renamed' })).status, 200);
    assert.equal(await count(m.companyId, 'profile.updated'), 1, 'one change, one event, however often it is saved');

    for (let i = 1; i < limit; i++) assert.equal((await m.agent.post('/api/me/profile', { displayName: `Dana ${i}` })).status, 200);
    const refused = await m.agent.post('/api/me/profile', { displayName: 'Dana past the cap' });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'profile.rate_limited');
    assert.equal((await m.agent.get('/api/me/profile')).body.displayName, `Dana ${limit - 1}`, 'nothing changed');
    assert.equal(await count(m.companyId, 'profile.updated'), limit);
    // Saving the name one has still answers, and writes nothing.
    assert.equal((await m.agent.post('/api/me/profile', { displayName: `Dana ${limit - 1}` })).status, 200);
    const other = await tenants.member();
    assert.equal((await other.agent.post('/api/me/profile', { displayName: 'Someone else' })).status, 200, 'the cap is per user');
  });

  test("a key's name: renaming to the same name writes nothing; renames share the cap", async () => {
    const m = await tenants.member();
    const authenticator = new SoftAuthenticator(server.baseUrl);
    const options = await m.agent.post('/api/me/security-keys/options', { password: m.password });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await m.agent.post('/api/me/security-keys', { name: 'Desk key', response: authenticator.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const rename = (name: string) => m.agent.post(`/api/me/security-keys/${added.body.id}/rename`, { name });

    for (let i = 0; i < 40; i++) assert.equal((await rename('Desk key')).status, 200);
    assert.equal(await count(m.companyId, 'webauthn.renamed'), 0);
    const { limit } = SIGNED_IN_WRITE_CAPS.profileEdits;
    for (let i = 0; i < limit; i++) assert.equal((await rename(`Key ${i}`)).status, 200);
    const refused = await rename('Key past the cap');
    assert.deepEqual([refused.status, refused.body.error.code], [429, 'profile.rate_limited']);
    assert.equal((await m.agent.get('/api/me/security-keys')).body.keys[0].name, `Key ${limit - 1}`);
    assert.equal(await count(m.companyId, 'webauthn.renamed'), limit);
    assert.equal((await m.agent.post('/api/me/security-keys/00000000-0000-4000-8000-000000000000/rename', { name: 'x' })).status, 404);
  });

  // Each a row or an audit event and a mail to the owner: once, 40 keys added or 40
  // password changes in a row all went through.
  test('keys added and password changes: capped per user, past the cap 429 and nothing added or changed', async () => {
    const m = await tenants.member();
    const { limit } = SIGNED_IN_WRITE_CAPS.credentialChanges;
    const addKey = async (name: string) => {
      const options = await m.agent.post('/api/me/security-keys/options', { password: m.password });
      assert.equal(options.status, 200, JSON.stringify(options.body));
      return m.agent.post('/api/me/security-keys', { name, response: new SoftAuthenticator(server.baseUrl).register(options.body) });
    };
    // One change short in keys (a person holds at most MAX_KEYS_PER_USER, as many as the
    // cap), the last in new recovery codes: the cap counts every kind together.
    for (let i = 0; i < limit - 1; i++) assert.equal((await addKey(`Key ${i}`)).status, 200);
    assert.equal((await m.agent.post('/api/me/recovery-codes', proofOf(server, m))).status, 200);
    const refused = await addKey('Key past the cap');
    assert.deepEqual([refused.status, refused.body.error.code], [429, 'profile.rate_limited']);
    assert.equal((await m.agent.get('/api/me/security-keys')).body.keys.length, limit - 1);
    const passwordChange = await m.agent.post('/api/me/password', { currentPassword: m.password, newPassword: 'Another-Harbor-77!', confirm: 'Another-Harbor-77!' });
    assert.deepEqual([passwordChange.status, passwordChange.body.error?.code], [429, 'profile.rate_limited'], 'a password change shares the cap');
    assert.equal(await count(m.companyId, 'password.changed'), 0);
  });

  test('refused proofs (step-up, own 2FA reset): answered as before, recorded up to the cap, then once that more were dropped', async () => {
    const m = await tenants.member();
    const { limit } = SIGNED_IN_WRITE_CAPS.refusalEvents;
    const wrong = { password: 'Not-The-Password-1!', code: '000000' };
    const answers: string[] = [];
    for (let i = 0; i < limit + 30; i++) {
      const path = i % 2 === 0 ? '/api/me/reauth' : '/api/me/two-factor/reset';
      const answer = await m.agent.post(path, wrong);
      answers.push(`${answer.status} ${answer.body.error?.code}`);
    }
    // Wrong passwords until the lockout, then "locked" refusals that check nothing: all still refused.
    assert.ok(answers.every((a) => /^4\d\d /.test(a)), answers.join(', '));
    assert.equal(answers.at(-1), '429 account.locked');
    const recorded = (await count(m.companyId, 'reauth.failed')) + (await count(m.companyId, 'totp.reset_refused'));
    assert.equal(recorded, limit);
    assert.equal(await count(m.companyId, 'audit.refusals_dropped'), 1);
    assert.equal(await count(m.companyId, 'login.locked'), 1, 'the lock itself is recorded');
    const notice = await m.agent.get('/api/company/audit?action=audit.refusals_dropped');
    assert.equal(notice.body.events[0].actor.username, m.username, 'the notice names whose refusals were dropped');
  });
});
