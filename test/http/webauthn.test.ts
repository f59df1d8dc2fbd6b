// Passkeys and security keys over HTTP, with a software authenticator that signs for
// real (test/helpers/webauthn.ts): adding keys in My Settings, the key at the code step,
// "Log in with a passkey", and what must be refused: a replayed or expired challenge,
// another origin or RP ID, a cloned key (counter gone backwards), another company's key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`passkeys and security keys (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Keys Co', emailDomain: 'keys.test' });
  });
  after(() => server.close());

  async function addKey(agent: Agent, authenticator: SoftAuthenticator, password: string, name?: string) {
    const options = await agent.post('/api/me/security-keys/options', { password });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await agent.post('/api/me/security-keys', { ...(name ? { name } : {}), response: authenticator.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    return added.body as { id: string; name: string; kind: string; createdAt: string; lastUsedAt: string | null };
  }

  /** A signed-in Root Master with one security key. */
  async function memberWithKey(options: ConstructorParameters<typeof SoftAuthenticator>[1] = {}) {
    const member = await tenants.member();
    const key = new SoftAuthenticator(server.baseUrl, options);
    const added = await addKey(member.agent, key, member.password, 'YubiKey 5C');
    return { ...member, key, added };
  }

  async function atCodeStep(who: { username: string; companyName: string; password: string }) {
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName });
    const answer = await agent.post('/api/login/password', { password: who.password });
    assert.equal(answer.body.step, 'totp');
    return { agent, answer };
  }

  async function auditActions(companyId: string) {
    const rows = await server.gatehouse.storage.db.selectFrom('audit_events').select(['action', 'detail']).where('company_id', '=', companyId).orderBy('created_at').execute();
    return rows.map((r) => ({ action: r.action, detail: r.detail ? JSON.parse(r.detail) : null }));
  }

  test('My Settings: add a key with the password, list, rename and remove it; each change is audited', async () => {
    const member = await tenants.member();
    const key = new SoftAuthenticator(server.baseUrl);

    const wrong = await member.agent.post('/api/me/security-keys/options', { password: 'not-my-password' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.code, 'password.current_invalid');

    const options = await member.agent.post('/api/me/security-keys/options', { password: member.password });
    assert.equal(options.status, 200);
    assert.equal(options.body.rp.id, 'localhost');
    assert.equal(options.body.attestation, 'none');
    assert.equal(options.body.user.name, `${member.username} (${member.companyName})`);

    const added = await member.agent.post('/api/me/security-keys', { name: 'Desk key', response: key.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal(added.body.name, 'Desk key');
    assert.equal(added.body.kind, 'security_key');
    assert.equal(added.body.lastUsedAt, null);

    const listed = await member.agent.get('/api/me/security-keys');
    assert.deepEqual(listed.body.keys.map((k: { name: string }) => k.name), ['Desk key']);
    const renamed = await member.agent.post(`/api/me/security-keys/${added.body.id}/rename`, { name: 'Office YubiKey' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.name, 'Office YubiKey');

    // Removing proves what adding does: the session alone (a borrowed cookie) takes no key away.
    const remove = (body: Record<string, string>) => member.agent.post(`/api/me/security-keys/${added.body.id}/remove`, body);
    const failuresNow = async () => Number((await server.gatehouse.deps.db.selectFrom('users').select('failed_logins').where('company_id', '=', member.companyId).where('username', '=', member.username).executeTakeFirstOrThrow()).failed_logins);
    const before = await failuresNow();
    const bare = await remove({});
    assert.deepEqual([bare.status, bare.body.error.code, Object.keys(bare.body.error.fields ?? {})], [400, 'request.invalid', ['password']]);
    const misproved = await remove({ password: 'Not-The-Password-1!' });
    assert.deepEqual([misproved.status, misproved.body.error.code], [400, 'password.current_invalid']);
    assert.equal((await member.agent.get('/api/me/security-keys')).body.keys.length, 1, 'still there');
    assert.equal(await failuresNow(), before + 1, 'the wrong password counts toward the lockout');
    // The user still has the app, so the key is not the last way in.
    const removed = await remove({ password: member.password });
    assert.equal(removed.status, 200);
    assert.deepEqual((await member.agent.get('/api/me/security-keys')).body.keys, []);
    assert.equal((await remove({ password: member.password })).status, 404);

    const actions = (await auditActions(member.companyId)).map((e) => e.action);
    for (const action of ['webauthn.registered', 'webauthn.renamed', 'webauthn.removed']) assert.ok(actions.includes(action), action);
    assert.equal((await server.agent().get('/api/me/security-keys')).status, 401);
  });

  test('a registration answer works once, only for its own challenge, origin and RP ID', async () => {
    const member = await tenants.member();
    const key = new SoftAuthenticator(server.baseUrl);
    const start = () => member.agent.post('/api/me/security-keys/options', { password: member.password }).then((r) => r.body);

    const wrongOrigin = await member.agent.post('/api/me/security-keys', { response: key.register(await start(), { origin: 'https://gatehouse.example.evil' }) });
    assert.equal(wrongOrigin.status, 401);
    assert.equal(wrongOrigin.body.error.code, 'webauthn.not_accepted');
    const wrongRp = await member.agent.post('/api/me/security-keys', { response: key.register(await start(), { rpId: 'evil.test' }) });
    assert.equal(wrongRp.status, 401);
    const foreignChallenge = await member.agent.post('/api/me/security-keys', { response: key.register(await start(), { challenge: Buffer.from('made up').toString('base64url') }) });
    assert.equal(foreignChallenge.status, 401);

    const options = await start();
    const answer = key.register(options);
    assert.equal((await member.agent.post('/api/me/security-keys', { response: answer })).status, 200);
    const replay = await member.agent.post('/api/me/security-keys', { response: answer });
    assert.equal(replay.status, 401, 'the challenge was used up');

    server.clock.advance(0);
    const late = await start();
    server.clock.advance(5 * 60_000 + 1);
    // The session itself is still alive (30 minutes idle); only the challenge expired.
    assert.equal((await member.agent.post('/api/me/security-keys', { response: key.register(late) })).status, 401);
    assert.equal((await member.agent.get('/api/me/security-keys')).body.keys.length, 1);
  });

  test('at the code step a user with a key is offered it, and it finishes the login with amr pwd hwk user', async () => {
    const member = await memberWithKey();
    const { agent, answer } = await atCodeStep(member);
    assert.deepEqual(answer.body.secondFactors, ['app', 'key', 'recovery_code']);
    assert.deepEqual((await agent.get('/api/login')).body.secondFactors, ['app', 'key', 'recovery_code']);

    const options = await agent.post('/api/login/key/options');
    assert.equal(options.status, 200);
    assert.deepEqual(options.body.allowCredentials.map((c: { id: string }) => c.id), [member.key.credentials[0]?.id.toString('base64url')]);
    const done = await agent.post('/api/login/key', { response: member.key.assert(options.body) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(done.body, { step: 'done' });
    const me = await agent.get('/api/me');
    assert.deepEqual(me.body.session.amr, ['pwd', 'hwk', 'user']);

    const keys = (await agent.get('/api/me/security-keys')).body.keys;
    assert.equal(keys[0].lastUsedAt, new Date(server.clock()).toISOString());
    const used = (await auditActions(member.companyId)).filter((e) => e.action === 'webauthn.used');
    assert.equal(used.length, 1);

    // The app code still works for the same user.
    const other = await atCodeStep(member);
    assert.equal(other.answer.body.step, 'totp');
  });

  test('a synced passkey is swk; a user without keys is not offered one and gets no challenge', async () => {
    const member = await memberWithKey({ synced: true, transports: ['internal', 'hybrid'] });
    assert.equal(member.added.kind, 'passkey');
    const { agent } = await atCodeStep(member);
    const options = await agent.post('/api/login/key/options');
    const done = await agent.post('/api/login/key', { response: member.key.assert(options.body) });
    assert.equal(done.status, 200);
    assert.deepEqual((await agent.get('/api/me')).body.session.amr, ['pwd', 'swk', 'user']);

    const plain = await tenants.member();
    const step = await atCodeStep(plain);
    assert.deepEqual(step.answer.body.secondFactors, ['app', 'recovery_code']);
    const none = await step.agent.post('/api/login/key/options');
    assert.equal(none.status, 409);
    assert.equal(none.body.error.code, 'webauthn.none_registered');
  });

  test('at the code step: a replayed answer, an expired challenge, another origin or RP ID are refused', async () => {
    const member = await memberWithKey();
    const { agent } = await atCodeStep(member);

    const wrongOrigin = await agent.post('/api/login/key', { response: member.key.assert((await agent.post('/api/login/key/options')).body, { origin: 'http://localhost.evil.test' }) });
    assert.equal(wrongOrigin.status, 401);
    assert.equal(wrongOrigin.body.error.code, 'webauthn.not_accepted');
    const wrongRp = await agent.post('/api/login/key', { response: member.key.assert((await agent.post('/api/login/key/options')).body, { rpId: 'evil.test', credential: member.key.credentials[0]! }) });
    assert.equal(wrongRp.status, 401);
    const getAsCreate = await agent.post('/api/login/key', { response: member.key.assert((await agent.post('/api/login/key/options')).body, { type: 'webauthn.create' }) });
    assert.equal(getAsCreate.status, 401);

    const late = (await agent.post('/api/login/key/options')).body;
    server.clock.advance(5 * 60_000 + 1);
    assert.equal((await agent.post('/api/login/key', { response: member.key.assert(late) })).status, 401);
    assert.equal((await agent.get('/api/me')).status, 401, 'no session from any of these');

    // A correct answer is used once: its challenge is gone, and with it the login flow.
    const fresh = await atCodeStep(member);
    const answer = member.key.assert((await fresh.agent.post('/api/login/key/options')).body);
    assert.equal((await fresh.agent.post('/api/login/key', { response: answer })).status, 200);
    const replayed = server.agent();
    await replayed.post('/api/login/identify', { username: member.username, companyName: member.companyName });
    await replayed.post('/api/login/password', { password: member.password });
    await replayed.post('/api/login/key/options');
    assert.equal((await replayed.post('/api/login/key', { response: answer })).status, 401, 'an old answer does not fit a new challenge');
  });

  test('too many refused answers end the login flow, like wrong codes', async () => {
    const member = await memberWithKey();
    const { agent } = await atCodeStep(member);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const options = (await agent.post('/api/login/key/options')).body;
      statuses.push((await agent.post('/api/login/key', { response: member.key.assert(options, { origin: 'https://phish.test' }) })).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    assert.equal((await agent.post('/api/login/key/options')).status, 409);
  });

  test('a cloned key (its counter goes backwards) is refused and audited, and switched off: the original no longer signs in either', async () => {
    const member = await memberWithKey();
    const clone = member.key.clone();
    const first = await atCodeStep(member);
    assert.equal((await first.agent.post('/api/login/key', { response: member.key.assert((await first.agent.post('/api/login/key/options')).body) })).status, 200);

    const second = await atCodeStep(member);
    const cloned = await second.agent.post('/api/login/key', { response: clone.assert((await second.agent.post('/api/login/key/options')).body) });
    assert.equal(cloned.status, 401);
    const events = await auditActions(member.companyId);
    const refused = events.find((e) => e.action === 'webauthn.clone_refused');
    assert.ok(refused, 'the clone is in the audit trail');
    assert.equal(refused.detail.reason, 'cloned');
    assert.equal(refused.detail.switchedOff, true);

    // Which of the two is the original no answer tells: the key is off for both (test/http/webauthn-copied-key-switched-off.test.ts).
    const third = await atCodeStep(member);
    assert.deepEqual(third.answer.body.secondFactors, ['app', 'recovery_code'], 'the key is no longer offered');
    assert.equal((await third.agent.post('/api/login/key/options')).body.error?.code, 'webauthn.none_registered');
  });

  test("a copy of a key refused tells its owner by mail, at most once an hour, at login and at step-up alike", async () => {
    const member = await memberWithKey();
    const second = new SoftAuthenticator(server.baseUrl);
    const third = new SoftAuthenticator(server.baseUrl);
    await addKey(member.agent, second, member.password, 'Second key');
    await addKey(member.agent, third, member.password, 'Third key');
    // Each copied before its original signs (counter 1): each copy then answers behind it.
    const copies = [member.key.clone(), second.clone(), third.clone()];
    for (const original of [member.key, second, third]) {
      const { agent } = await atCodeStep(member);
      assert.equal((await agent.post('/api/login/key', { response: original.assert((await agent.post('/api/login/key/options')).body) })).status, 200);
    }
    const subject = 'A copy of your Gatehouse security key was refused';
    const notices = () => server.mail.messages.filter((m) => m.to.includes(member.email) && m.subject === subject);

    const atLogin = await atCodeStep(member);
    assert.equal((await atLogin.agent.post('/api/login/key', { response: copies[0]!.assert((await atLogin.agent.post('/api/login/key/options')).body) })).status, 401);
    const notice = await server.mail.waitFor((m) => m.to.includes(member.email) && m.subject === subject);
    assert.match(notice.text, /looks like a copy/);
    assert.match(notice.text, /switched off/);

    // A copy of another key, now at step-up in the owner's own session: refused, audited, not mailed again.
    const challenge = await member.agent.post('/api/me/reauth/key-options');
    assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
    const stepUp = await member.agent.post('/api/me/reauth', { password: member.password, key: copies[1]!.assert(challenge.body, { counter: 1 }) });
    assert.equal(stepUp.status, 401, JSON.stringify(stepUp.body));
    const refusals = (await auditActions(member.companyId)).filter((e) => e.action === 'webauthn.clone_refused');
    assert.equal(refusals.length, 2, 'both refusals in the trail');
    // A marker mail queued after the refusals (later by the clock, as the outbox is sent in
    // order): once it is here, a second notice would be too.
    server.clock.advance(1_000);
    const marker = await member.agent.post('/api/me/recovery-codes', { key: third.assert((await member.agent.post('/api/me/reauth/key-options')).body) });
    assert.equal(marker.status, 200, JSON.stringify(marker.body));
    await server.mail.waitFor((m) => m.to.includes(member.email) && m.subject === 'New Gatehouse recovery codes were made');
    assert.equal(notices().length, 1, 'one notice in the hour');

    // At most one in any hour (a rate slot: the next may wait up to two, storage/rate-caps.ts).
    server.clock.advance(2 * 3_600_000 + 1);
    const later = await atCodeStep(member);
    assert.equal((await later.agent.post('/api/login/key', { response: copies[2]!.assert((await later.agent.post('/api/login/key/options')).body, { counter: 1 }) })).status, 401);
    await server.mail.waitFor(() => notices().length === 2);
  });

  test('an answer the browser says was made in a frame of another site is refused, at login and when adding a key', async () => {
    const member = await memberWithKey();
    const { agent } = await atCodeStep(member);
    for (const framed of [{ crossOrigin: true }, { crossOrigin: true, topOrigin: 'https://evil.test' }]) {
      const answer = await agent.post('/api/login/key', { response: member.key.assert((await agent.post('/api/login/key/options')).body, framed) });
      assert.equal(answer.status, 401, JSON.stringify(framed));
    }
    const another = new SoftAuthenticator(server.baseUrl);
    const options = await member.agent.post('/api/me/security-keys/options', { password: member.password });
    const added = await member.agent.post('/api/me/security-keys', { name: 'Framed', response: another.register(options.body, { crossOrigin: true }) });
    assert.equal(added.status >= 400 && added.status < 500, true, `refused, not ${added.status}`);
    const listed = await member.agent.get('/api/me/security-keys');
    assert.deepEqual(listed.body.keys.map((k: { name: string }) => k.name), ['YubiKey 5C'], 'no key added');
  });

  test('a key without a counter (always 0) keeps working', async () => {
    const member = await memberWithKey({ noCounter: true });
    for (let i = 0; i < 2; i += 1) {
      const { agent } = await atCodeStep(member);
      assert.equal((await agent.post('/api/login/key', { response: member.key.assert((await agent.post('/api/login/key/options')).body) })).status, 200);
    }
  });

  test("another company's key does not finish this company's login", async () => {
    const victim = await memberWithKey();
    const attacker = await memberWithKey();
    const { agent } = await atCodeStep(victim);
    const options = (await agent.post('/api/login/key/options')).body;
    // The attacker's own authenticator, answering the victim's challenge with its own key.
    const answer = attacker.key.assert({ ...options, allowCredentials: [] });
    const refused = await agent.post('/api/login/key', { response: answer });
    assert.equal(refused.status, 401);
    assert.equal((await agent.get('/api/me')).status, 401);
  });

  test('Log in with a passkey: the passkey names user and company and replaces password and code', async () => {
    const member = await memberWithKey({ synced: true, transports: ['internal', 'hybrid'] });
    const agent = server.agent();
    const options = await agent.post('/api/login/passkey/options', {});
    assert.equal(options.status, 200);
    assert.equal(options.body.userVerification, 'required');
    assert.equal(options.body.allowCredentials, undefined, 'nothing about who may be signing in');
    const done = await agent.post('/api/login/passkey', { response: member.key.assert(options.body) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const me = (await agent.get('/api/me')).body;
    assert.equal(me.user.username, member.username);
    assert.equal(me.company.name, member.companyName);
    assert.deepEqual(me.session.amr, ['swk', 'user', 'mfa']);
    const succeeded = (await auditActions(member.companyId)).filter((e) => e.action === 'login.succeeded').at(-1);
    assert.equal(succeeded?.detail.factor, 'webauthn');

    // Without user verification the passkey alone is not enough.
    const noUv = new SoftAuthenticator(server.baseUrl, { userVerification: false });
    const second = await memberWithKey();
    noUv.credentials.push(...second.key.credentials);
    const other = server.agent();
    const refused = await other.post('/api/login/passkey', { response: noUv.assert((await other.post('/api/login/passkey/options', {})).body) });
    assert.equal(refused.status, 401);
    assert.equal((await other.get('/api/me')).status, 401);
  });

  test('Log in with a passkey: a replayed answer, a forged user handle and a disabled user are refused', async () => {
    const member = await memberWithKey();
    const agent = server.agent();
    const answer = member.key.assert((await agent.post('/api/login/passkey/options', {})).body);
    assert.equal((await agent.post('/api/login/passkey', answer ? { response: answer } : {})).status, 200);
    const again = server.agent();
    await again.post('/api/login/passkey/options', {});
    assert.equal((await again.post('/api/login/passkey', { response: answer })).status, 401);

    // Another user's id as the handle, with this key: the key must belong to that user.
    const someoneElse = await memberWithKey();
    const forger = server.agent();
    const forged = member.key.assert((await forger.post('/api/login/passkey/options', {})).body);
    forged.response.userHandle = someoneElse.key.credentials[0]!.userHandle;
    assert.equal((await forger.post('/api/login/passkey', { response: forged })).status, 401);

    await server.gatehouse.storage.db.updateTable('users').set({ status: 'disabled' }).where('company_id', '=', member.companyId).execute();
    const disabled = server.agent();
    const refused = await disabled.post('/api/login/passkey', { response: member.key.assert((await disabled.post('/api/login/passkey/options', {})).body) });
    assert.equal(refused.status, 401);
    assert.equal((await disabled.get('/api/me')).status, 401);
  });

  test('a passkey answer without the passkey flow, or at the wrong step, gets nowhere', async () => {
    const member = await memberWithKey();
    const stranger = server.agent();
    const options = (await server.agent().post('/api/login/passkey/options', {})).body;
    const refused = await stranger.post('/api/login/passkey', { response: member.key.assert(options) });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'login.flow_expired');
    const { agent } = await atCodeStep(member);
    assert.equal((await agent.post('/api/login/passkey', { response: member.key.assert(options) })).status, 409);
  });
});
