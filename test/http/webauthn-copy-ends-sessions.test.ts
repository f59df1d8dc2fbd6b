// A copy of a key seen (its counter went backwards) is a compromise signal, not only a
// refused answer: whoever holds the copy may already be signed in with it, and no session
// tells the copy's from the original's. In the transaction that switches the key off
// (src/login/key-copy.ts), every session of the owner that a key signed (amr hwk/swk) ends,
// with the module sign-ins it led to (a back-channel logout each), and the trail says why
// (`session.ended`, reason `key_copied`); sessions of the app's code stay, as the copy could
// not have made them. At step-up the session offering the copy ends too when a key signed
// it. The notice mail says the sessions were signed out. And a key switched off is no key
// the user "has" where a Master reads it: the compliance report (JSON, CSV, the operators'
// totals) counts it neither as a key nor as a second factor, the users list says it is
// switched off, and the lost-secret survey does not count it as a key to sign in with.
// On SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSecretBox, generateSecretKey } from '../../src/crypto/index.ts';
import { replaceLostSecretKey, surveyLostSecret } from '../../src/lost-secret-key.ts';
import type { Agent } from '../helpers/agent.ts';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { pastPassword } from '../helpers/journey.ts';
import { keyAdded, keyLogIn } from '../helpers/key-policy.ts';
import { client, grantedModule, signInToModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const NOTICE = 'A copy of your Gatehouse security key was refused';

type Who = { username: string; companyName: string; password: string };
type Module = Awaited<ReturnType<typeof grantedModule>>;

for (const engine of await enginesUnderTest()) describe(`a copied key ends the sessions a key signed (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let tenants: Tenants;
  let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
  before(async () => {
    receiver = await startBackchannelReceiver();
    server = await startTestServer({ engine });
    ({ operator, tenants } = await operatorWithTenants(server, { namePrefix: 'Copy Ends Co', emailDomain: 'copy-ends.test' }));
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  let modules = 0;
  async function moduleWithLogout(companyId: string) {
    modules += 1;
    const path = `/copy-ends-${modules}/backchannel`;
    const module = await grantedModule(server, operator, companyId, { name: `Copy Ends Module ${modules}`, backchannelLogoutUri: receiver.url(path) });
    return { module, path };
  }

  async function moduleSignIn(module: Module, agent: Agent) {
    const signedIn = await signInToModule(module.config, agent, { scope: 'openid offline_access' });
    assert.ok(signedIn.tokens.refresh_token);
    return { sid: signedIn.claims.sid as string, access: signedIn.tokens.access_token, refresh: signedIn.tokens.refresh_token };
  }

  /** The copy answering a login at the code step: refused, the copy seen. */
  async function copyRefusedAtLogin(who: Who, copy: SoftAuthenticator) {
    const { agent, step } = await pastPassword(server, who);
    assert.equal(step, 'totp');
    const options = await agent.post('/api/login/key/options');
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const refused = await agent.post('/api/login/key', { response: copy.assert(options.body) });
    assert.deepEqual([refused.status, refused.body.error?.code], [401, 'webauthn.not_accepted']);
    assert.equal((await agent.get('/api/me')).status, 401, 'the refused login has no session');
  }

  /** The copy offered at step-up from `agent`'s session. */
  async function copyRefusedAtStepUp(agent: Agent, password: string, copy: SoftAuthenticator) {
    const challenge = await agent.post('/api/me/reauth/key-options');
    assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
    const refused = await agent.post('/api/me/reauth', { password, key: copy.assert({ ...challenge.body, allowCredentials: [] }) });
    assert.deepEqual([refused.status, refused.body.error?.code], [401, 'webauthn.not_accepted']);
  }

  const endedReasons = async (companyId: string) =>
    (await server.gatehouse.storage.db.selectFrom('audit_events').select('detail').where('company_id', '=', companyId).where('action', '=', 'session.ended').execute()).map(
      (row) => (row.detail ? (JSON.parse(row.detail) as { reason?: string }).reason : undefined),
    );

  test('a copy refused at login signs out every session a key signed, with its module sign-in; the app-code session stays', async () => {
    const member = await tenants.member();
    const { module, path } = await moduleWithLogout(member.companyId);
    const key = await keyAdded(server, member.agent);
    const copy = key.clone();
    const byKey = await keyLogIn(server, member, key);
    const byPasskey = server.agent();
    const passkeyOptions = await byPasskey.post('/api/login/passkey/options', {});
    assert.equal((await byPasskey.post('/api/login/passkey', { response: key.assert(passkeyOptions.body) })).status, 200);
    const keyModule = await moduleSignIn(module, byKey);
    const codeModule = await moduleSignIn(module, member.agent);
    // What a key session asked for dies with it, as when one session is ended: an email change.
    const newEmail = `moved-${member.username}@elsewhere.test`;
    assert.equal((await byKey.post('/api/me/email', { email: newEmail, password: member.password })).status, 200);
    const confirmMail = await server.mail.waitFor((m) => m.to.includes(newEmail));
    const confirmToken = /confirm-email\/([A-Za-z0-9_-]+)/.exec(confirmMail.text)?.[1] ?? assert.fail('a confirm link');

    await copyRefusedAtLogin(member, copy);

    assert.equal((await byKey.get('/api/me')).status, 401, 'the session the key signed at the code step is signed out');
    assert.equal((await byPasskey.get('/api/me')).status, 401, 'and the passkey session');
    assert.equal((await member.agent.get('/api/me')).status, 200, "the app's code session stays: no copy of the key made it");

    const notice = await receiver.waitFor((n) => n.path === path && n.payload.sid === keyModule.sid, 'the key session');
    assert.equal(notice.payload.sid, keyModule.sid);
    assert.equal((await client.tokenIntrospection(module.config, keyModule.access)).active, false, "the key session's module access token");
    assert.equal((await client.tokenIntrospection(module.config, keyModule.refresh)).active, false, 'and its refresh token');
    const refreshed = await client.refreshTokenGrant(module.config, codeModule.refresh);
    assert.ok(refreshed.access_token, "the code session's module sign-in goes on");
    assert.ok(!receiver.received.some((n) => n.path === path && n.payload.sid === codeModule.sid), 'and was not logged out');

    const late = await server.agent().post('/api/me/email/confirm', { token: confirmToken });
    assert.deepEqual([late.status, late.body.error?.code], [410, 'link.invalid'], 'the email change a key session asked for is revoked');

    const owed = await server.gatehouse.storage.db.selectFrom('backchannel_outbox').select('reason').where('client_id', '=', module.module.clientId).execute();
    assert.deepEqual(owed.map((row) => row.reason), ['key_copied']);
    assert.deepEqual(await endedReasons(member.companyId), ['key_copied', 'key_copied'], 'one session.ended per session, with the reason');
    const mail = await server.mail.waitFor((m) => m.to.includes(member.email) && m.subject === NOTICE);
    assert.match(mail.text, /signed in with a passkey or security key .*signed out/);
  });

  test('at step-up a copy ends the session offering it when a key signed it; a code session offering it stays', async () => {
    const member = await tenants.member();
    const key = await keyAdded(server, member.agent);
    const copy = key.clone();
    const byKey = await keyLogIn(server, member, key);
    await copyRefusedAtStepUp(byKey, member.password, copy);
    assert.equal((await byKey.get('/api/me')).status, 401, 'the key session that offered the copy is signed out');
    assert.equal((await member.agent.get('/api/me')).status, 200);

    const other = await tenants.member();
    const otherKey = await keyAdded(server, other.agent);
    const otherCopy = otherKey.clone();
    const otherByKey = await keyLogIn(server, other, otherKey);
    await copyRefusedAtStepUp(other.agent, other.password, otherCopy);
    assert.equal((await other.agent.get('/api/me')).status, 200, 'the code session offering the copy stays');
    assert.equal((await otherByKey.get('/api/me')).status, 401, 'the key session ends');
  });

  test('the compliance report and the users list do not count a switched-off key as one the user has', async () => {
    // The app and a key: still enrolled (the app), but no key any more.
    const member = await tenants.member();
    const key = await keyAdded(server, member.agent);
    const copy = key.clone();
    await keyLogIn(server, member, key);
    const mine = async () => {
      const view = await member.agent.get('/api/company/compliance');
      assert.equal(view.status, 200, JSON.stringify(view.body));
      return view.body.users.find((u: { username: string }) => u.username === member.username);
    };
    const listed = async () => {
      const users = await member.agent.get('/api/company/users');
      assert.equal(users.status, 200, JSON.stringify(users.body));
      return users.body.users.find((u: { username: string }) => u.username === member.username);
    };
    assert.deepEqual((await mine()).factors, { app: true, keys: 1 });
    assert.equal((await listed()).keySwitchedOff, false);
    await copyRefusedAtLogin(member, copy);
    assert.deepEqual((await mine()).factors, { app: true, keys: 0 }, 'the switched-off key is not counted');
    assert.equal((await mine()).enrolled, true, 'the app still is');
    const listedOff = await listed();
    assert.equal(listedOff.keySwitchedOff, true, 'the list says the key is switched off');
    assert.equal(listedOff.status, 'active', 'still enrolled: the login goes to the code step (a recovery code), and a Master may reset 2FA');

    // A key as the only factor: once switched off, no second factor to sign in with.
    const only = await tenants.signedUp();
    const { agent: enrolling, step } = await pastPassword(server, only);
    assert.equal(step, 'enroll');
    const soleKey = new SoftAuthenticator(server.baseUrl);
    const enrollOptions = await enrolling.post('/api/login/key-enrollment/options');
    assert.equal((await enrolling.post('/api/login/key-enrollment', { name: 'Only factor', response: soleKey.register(enrollOptions.body) })).status, 200);
    const soleCopy = soleKey.clone();
    assert.equal((await enrolling.post('/api/login/key', { response: soleKey.assert((await enrolling.post('/api/login/key/options')).body) })).status, 200);
    const companyId = (await enrolling.get('/api/me')).body.company.id as string;
    const row = async () => {
      const view = await operator.get(`/api/operator/compliance?companyId=${companyId}`);
      assert.equal(view.status, 200, JSON.stringify(view.body));
      return view.body.users.find((u: { username: string }) => u.username === only.username);
    };
    const totals = async () => (await operator.get('/api/operator/compliance')).body.companies.find((c: { companyId: string }) => c.companyId === companyId).totals;
    const csvLine = async () => {
      const csv = await operator.get(`/api/operator/compliance.csv?companyId=${companyId}`);
      assert.equal(csv.status, 200);
      return String(csv.body).split(/\r?\n/).find((line) => line.includes(only.username));
    };
    assert.equal((await row()).enrolled, true);
    assert.equal((await totals()).enrolled, 1);
    assert.match((await csvLine()) ?? '', /,"true",/);

    await copyRefusedAtLogin(only, soleCopy);
    const off = await row();
    assert.deepEqual([off.enrolled, off.pending, off.factors], [false, 'not_enrolled', { app: false, keys: 0 }]);
    assert.deepEqual([(await totals()).enrolled, (await totals()).pending], [0, 1], "the operators' totals");
    assert.match((await csvLine()) ?? '', /,"false",/, 'the CSV');
  });
});

for (const engine of await enginesUnderTest()) describe(`a switched-off key is no key after a secret key is lost (${engine})`, () => {
  test('the survey does not count it, and the user sets up a factor again at the next login rather than stuck at the code step', async () => {
    const server = await startTestServer({ engine });
    try {
      const { operator, tenants } = await operatorWithTenants(server, { namePrefix: 'Copy Lost Co', emailDomain: 'copy-lost.test' });
      const member = await tenants.member();
      const key = await keyAdded(server, member.agent);
      const copy = key.clone();
      await keyLogIn(server, member, key);
      const { agent, step } = await pastPassword(server, member);
      assert.equal(step, 'totp');
      const options = await agent.post('/api/login/key/options');
      assert.equal((await agent.post('/api/login/key', { response: copy.assert(options.body) })).status, 401);

      const lostKeyBox = createSecretBox([generateSecretKey()]);
      const { deps } = server.gatehouse;
      const survey = await surveyLostSecret(deps.db, lostKeyBox);
      const surveyed = survey.appSecrets.find((u) => u.username === member.username);
      assert.equal(surveyed?.hasKey, false, 'a switched-off key signs in no one');

      await replaceLostSecretKey({ ...deps, secrets: lostKeyBox }, { actorId: (await operator.get('/api/me')).body.user.id as string, ip: null, userAgent: null });
      const next = await pastPassword(server, member);
      assert.equal(next.step, 'mail_code', "no app, no key that signs in, no recovery code: set up 2FA again as after a Master's reset, the mailed code first");
    } finally {
      await server.close();
    }
  });
});
