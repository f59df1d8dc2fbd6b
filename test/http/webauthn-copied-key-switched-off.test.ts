// A key whose counter goes backwards has a copy in use (WebAuthn §6.1.1): the sign-in is
// refused and the key is switched off at once (src/login/key-copy.ts), so neither the
// original nor any copy signs in with it again: not at the code step, not at "Log in with
// a passkey", not at step-up; also when the copy ran ahead and signed in first, and it is
// the original that is refused. The owner's list shows the key switched off; removing it
// and adding a new one works; a switched-off key is no key for a policy that requires
// one, and a user whose only key it was signs in as the policy allows without one (the
// app, or a recovery code) and adds a new key, never enrolling over it with the password
// alone. Two refusals at once mail the owner once. On SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextTransaction, racedAtHold } from '../helpers/held-transaction.ts';
import { pastPassword, signedInOperator } from '../helpers/journey.ts';
import { policyByClient } from '../helpers/key-policy.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const NOTICE = 'A copy of your Gatehouse security key was refused';

type Options = Parameters<SoftAuthenticator['assert']>[0];
type Who = { username: string; companyName: string; password: string };

for (const engine of await enginesUnderTest()) describe(`a copied key is switched off (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Copied Key Co', emailDomain: 'copied-key.test' });
  });
  after(() => server.close());

  async function addKey(agent: Agent, password: string, name: string) {
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await agent.post('/api/me/security-keys/options', { password });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await agent.post('/api/me/security-keys', { name, response: key.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    return { key, id: added.body.id as string };
  }

  /** A signed-in Root Master (with the app) and two keys: `copied`, the one a copy is made of, and `spare`. */
  async function memberWithTwoKeys() {
    const member = await tenants.member();
    const copied = await addKey(member.agent, member.password, 'Copied key');
    const spare = await addKey(member.agent, member.password, 'Spare key');
    return { ...member, copied, spare };
  }

  async function atCodeStep(who: Who) {
    const { agent, step } = await pastPassword(server, who);
    assert.equal(step, 'totp');
    return agent;
  }

  /** A login at the code step answered by `key`'s credential, whichever keys the challenge lists (as a copy would answer). */
  async function keyLogin(who: Who, key: SoftAuthenticator, counter?: number) {
    const agent = await atCodeStep(who);
    const options = await agent.post('/api/login/key/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const anyKey: Options = { ...options.body, allowCredentials: [] };
    return agent.post('/api/login/key', { response: key.assert(anyKey, counter === undefined ? {} : { counter }) });
  }

  async function keysListed(agent: Agent) {
    const listed = await agent.get('/api/me/security-keys');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    return listed.body.keys as { id: string; name: string; switchedOffAt: string | null }[];
  }

  const auditReasons = async (companyId: string, action: string) =>
    (await server.gatehouse.storage.db.selectFrom('audit_events').select('detail').where('company_id', '=', companyId).where('action', '=', action).execute()).map(
      (row) => (row.detail ? (JSON.parse(row.detail) as { reason?: string }).reason : undefined),
    );

  test('after a copy is refused, the original is refused too, at the code step, with a passkey and at step-up; the other key still works', async () => {
    const member = await memberWithTwoKeys();
    const copy = member.copied.key.clone();
    assert.equal((await keyLogin(member, member.copied.key)).status, 200, 'the original signs in');
    const refused = await keyLogin(member, copy);
    assert.deepEqual([refused.status, refused.body.error?.code], [401, 'webauthn.not_accepted']);

    // The original, its counter ahead of the stored one: no copy is seen, and still refused.
    assert.equal((await keyLogin(member, member.copied.key)).status, 401, 'the original is switched off too');
    assert.equal((await keyLogin(member, copy, 50)).status, 401, 'the copy, counting ahead');
    const passkey = server.agent();
    const passkeyOptions = await passkey.post('/api/login/passkey/options', {});
    assert.equal(passkeyOptions.status, 200);
    assert.equal((await passkey.post('/api/login/passkey', { response: member.copied.key.assert(passkeyOptions.body) })).status, 401, 'not as a passkey either');
    assert.equal((await passkey.get('/api/me')).status, 401);

    const challenge = await member.agent.post('/api/me/reauth/key-options');
    assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
    assert.deepEqual(challenge.body.allowCredentials.map((c: { id: string }) => c.id), [member.spare.key.credentials[0]!.id.toString('base64url')], 'only the key still on is asked for');
    const stepUp = await member.agent.post('/api/me/reauth', { password: member.password, key: member.copied.key.assert({ ...challenge.body, allowCredentials: [] }) });
    assert.deepEqual([stepUp.status, stepUp.body.error?.code], [401, 'webauthn.not_accepted'], 'no step-up with it');

    assert.deepEqual(await auditReasons(member.companyId, 'webauthn.clone_refused'), ['cloned'], 'one copy seen; the later answers met a key switched off');
    assert.ok((await auditReasons(member.companyId, 'login.failed')).includes('key_switched_off'));
    assert.equal((await keyLogin(member, member.spare.key)).status, 200, 'the spare key is untouched');
  });

  test('a copy ahead of the original signs in first; the original is then refused as a copy, and the copy from then on too', async () => {
    const member = await memberWithTwoKeys();
    const copy = member.copied.key.clone();
    assert.equal((await keyLogin(member, copy)).status, 200, 'the copy, used first, cannot be told from the original');
    assert.equal((await keyLogin(member, member.copied.key)).status, 401, 'the original, now behind, is refused');
    assert.equal((await keyLogin(member, copy)).status, 401, 'and the copy no longer signs in');
    assert.equal((await keyLogin(member, copy, 1_000)).status, 401);
  });

  test('the list shows the key switched off and the notice says so; it is removed, a new key is added and signs in', async () => {
    const member = await memberWithTwoKeys();
    const copy = member.copied.key.clone();
    assert.equal((await keyLogin(member, member.copied.key)).status, 200);
    assert.equal((await keyLogin(member, copy)).status, 401);

    const listed = await keysListed(member.agent);
    const copied = listed.find((k) => k.id === member.copied.id);
    assert.ok(copied?.switchedOffAt, 'the copied key is shown switched off');
    assert.equal(listed.find((k) => k.id === member.spare.id)?.switchedOffAt, null);
    const notice = await server.mail.waitFor((m) => m.to.includes(member.email) && m.subject === NOTICE);
    assert.match(notice.text, /looks like a copy/);
    assert.match(notice.text, /switched off/);
    assert.match(notice.text, /remove it .*and add it again/);

    // Renaming it does not switch it back on.
    assert.equal((await member.agent.post(`/api/me/security-keys/${member.copied.id}/rename`, { name: 'Copied, off' })).status, 200);
    assert.ok((await keysListed(member.agent)).find((k) => k.id === member.copied.id)?.switchedOffAt);
    assert.equal((await keyLogin(member, member.copied.key)).status, 401);

    assert.equal((await member.agent.post(`/api/me/security-keys/${member.copied.id}/remove`, { password: member.password })).status, 200);
    const fresh = await addKey(member.agent, member.password, 'New key');
    const left = (await keysListed(member.agent)).map((k) => [k.name, k.switchedOffAt]);
    assert.deepEqual(left.sort(), [['New key', null], ['Spare key', null]]);
    assert.equal((await keyLogin(member, fresh.key)).status, 200, 'the new key signs in');
  });

  test('a switched-off key is no key for the policy: the app signs in and a new key is added at the login', async () => {
    const member = await tenants.member();
    const only = await addKey(member.agent, member.password, 'Only key');
    const copy = only.key.clone();
    assert.equal((await keyLogin(member, only.key)).status, 200);
    await (await policyByClient(server, member.companyId))({ phishingResistant: 'everyone' });
    assert.equal((await keyLogin(member, copy)).status, 401);

    const { agent } = await pastPassword(server, member);
    assert.deepEqual((await agent.get('/api/login')).body.secondFactors, ['app', 'recovery_code'], 'no key offered; the app is no longer held back');
    assert.equal((await agent.post('/api/login/key/options')).body.error?.code, 'webauthn.none_registered');
    server.clock.advance(30_000);
    const code = await agent.post('/api/login/totp', { code: totpAt(member.totpSecret, server.clock()) });
    assert.equal(code.body.step, 'key_enroll', JSON.stringify(code.body));
    const replacement = new SoftAuthenticator(server.baseUrl);
    const options = await agent.post('/api/login/key-enrollment/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    assert.equal((await agent.post('/api/login/key-enrollment', { name: 'Replacement', response: replacement.register(options.body) })).status, 200);
    const keyOptions = await agent.post('/api/login/key/options');
    assert.equal((await agent.post('/api/login/key', { response: replacement.assert(keyOptions.body) })).status, 200, 'signed in with the new key');
  });

  test('a user whose only factor was the key signs in with a recovery code, not by enrolling anew with the password', async () => {
    const who = await tenants.signedUp();
    const { agent: enrolling, step } = await pastPassword(server, who);
    assert.equal(step, 'enroll');
    const key = new SoftAuthenticator(server.baseUrl);
    const enrollOptions = await enrolling.post('/api/login/key-enrollment/options');
    const enrolled = await enrolling.post('/api/login/key-enrollment', { name: 'Only factor', response: key.register(enrollOptions.body) });
    assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
    const recoveryCodes = enrolled.body.recoveryCodes as string[];
    const copy = key.clone();
    assert.equal((await enrolling.post('/api/login/key', { response: key.assert((await enrolling.post('/api/login/key/options')).body) })).status, 200);
    assert.equal((await keyLogin(who, copy)).status, 401);

    const { agent, step: next } = await pastPassword(server, who);
    assert.equal(next, 'totp', 'still enrolled: the password alone sets up no new factor');
    assert.deepEqual((await agent.get('/api/login')).body.secondFactors, ['recovery_code']);
    assert.equal((await agent.post('/api/login/enroll/start')).status, 409);
    const recovered = await agent.post('/api/login/recovery', { code: recoveryCodes[0] });
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
    // Its last way in, switched off, is not removed before another is added.
    const [switchedOff] = await keysListed(agent);
    assert.equal((await agent.post(`/api/me/security-keys/${switchedOff!.id}/remove`, { password: who.password })).body.error?.code, 'webauthn.last_factor');
    const fresh = await addKey(agent, who.password, 'New key');
    assert.equal((await agent.post(`/api/me/security-keys/${switchedOff!.id}/remove`, { password: who.password })).status, 200);
    assert.equal((await keyLogin(who, fresh.key)).status, 200);
  });

  test('two copies refused at the same moment mail the owner once', async () => {
    const member = await memberWithTwoKeys();
    const copy = member.copied.key.clone();
    assert.equal((await keyLogin(member, member.copied.key)).status, 200);
    const notices = () => server.mail.messages.filter((m) => m.to.includes(member.email) && m.subject === NOTICE);
    // The first refusal is held before its transaction while the second is refused whole.
    const first = await racedAtHold(
      holdNextTransaction(server, '/src/login/key-copy.ts'),
      () => keyLogin(member, copy, 1),
      async () => assert.equal((await keyLogin(member, copy, 1)).status, 401),
    );
    assert.equal(first.status, 401);
    assert.deepEqual(await auditReasons(member.companyId, 'webauthn.clone_refused'), ['cloned', 'cloned'], 'both refusals in the trail');
    // A marker mail queued after both (later by the clock, as the outbox is sent in order):
    // once it is here, a second notice would be too.
    server.clock.advance(1_000);
    const marker = await member.agent.post('/api/me/recovery-codes', { key: member.spare.key.assert((await member.agent.post('/api/me/reauth/key-options')).body) });
    assert.equal(marker.status, 200, JSON.stringify(marker.body));
    await server.mail.waitFor((m) => m.to.includes(member.email) && m.subject === 'New Gatehouse recovery codes were made');
    assert.equal(notices().length, 1, 'one notice');
  });
});
