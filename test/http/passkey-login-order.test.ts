// "Log in with a passkey" proves the key before anything else is told: a credential id and
// user handle are no secret, so an answer with a signature the key never made gets the
// 401 every refused key gets, and the trail records it as an invalid signature, whatever
// the company's allowlist, the user's state or the company's sign-in mode. Only a valid
// signature learns of them: the company's allowlist (403, login.ip_refused), a disabled
// user or suspended company, an 'sso-only' company (the generic 401, their own reason).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { dbOf, invitedMember } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

for (const engine of await enginesUnderTest()) describe(`passkey login: the key proves itself before any policy answers (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Key Order Co', emailDomain: 'key-order.test' });
  });
  after(() => server.close());

  type Holder = { companyId: string; userId: string; key: SoftAuthenticator };

  async function withKey(agent: Agent, password: string) {
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await agent.post('/api/me/security-keys/options', { password });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const added = await agent.post('/api/me/security-keys', { response: key.register(options.body) });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    return key;
  }

  /** A company's Root Master with a passkey. */
  async function rootWithKey(): Promise<Holder> {
    const member = await tenants.member();
    const me = await member.agent.get('/api/me');
    return { companyId: member.companyId, userId: me.body.user.id, key: await withKey(member.agent, member.password) };
  }

  /** A user (not a Master) of a fresh company, with a passkey. */
  async function userWithKey(): Promise<Holder> {
    const member = await tenants.member();
    const company = { companyId: member.companyId, companyName: member.companyName, root: { id: '', username: member.username, agent: member.agent, totpSecret: member.totpSecret } };
    const user = await invitedMember(server, company, member.agent, { username: 'key-user', role: 'user' });
    return { companyId: member.companyId, userId: user.id, key: await withKey(user.agent, STRONG_PASSWORD) };
  }

  /** A passkey login answered with the key's id and user handle; `forged`: a signature the key never made. */
  async function passkeyLogin(key: SoftAuthenticator, forged: boolean) {
    const browser = server.agent();
    const options = await browser.post('/api/login/passkey/options', {});
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const answer = key.assert(options.body);
    if (forged) {
      const signature = Buffer.from(answer.response.signature, 'base64url');
      const last = signature.length - 1;
      signature.writeUInt8(signature.readUInt8(last) ^ 0xff, last);
      answer.response.signature = signature.toString('base64url');
    }
    return browser.post('/api/login/passkey', { response: answer });
  }

  /** The company's trail since `afterId`, as action and reason. */
  async function trailSince(companyId: string, afterId: number) {
    const rows = await dbOf(server).selectFrom('audit_events').select(['action', 'detail']).where('company_id', '=', companyId).where('id', '>', afterId).orderBy('id').execute();
    return rows.map((row) => `${row.action} ${JSON.parse(row.detail ?? '{}').reason ?? ''}`.trim());
  }
  const lastEventId = async () => Number((await dbOf(server).selectFrom('audit_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst())?.id ?? 0);

  /** What a login answers and leaves in the company's trail. */
  async function outcome(holder: Holder, forged: boolean) {
    const since = await lastEventId();
    const answer = await passkeyLogin(holder.key, forged);
    return { status: answer.status, code: answer.body?.error?.code, trail: await trailSince(holder.companyId, since) };
  }

  const ssoOnly = async (companyId: string) => {
    const now = server.clock();
    await dbOf(server)
      .insertInto('sso_providers')
      .values({
        id: randomUUID(), company_id: companyId, kind: 'saml', name: 'Key Order IdP', enabled: 1, saml_entity_id: 'https://idp.key-order.test', saml_sso_url: 'https://idp.key-order.test/sso',
        saml_certs: '[]', oidc_issuer: null, oidc_client_id: null, oidc_client_secret: null, username_attribute: 'NameID', groups_attribute: null, trust_provider_mfa: 0,
        tested_at: now, created_at: now, updated_at: now,
      })
      .execute();
    await dbOf(server).updateTable('companies').set({ sso_mode: 'sso-only' }).where('id', '=', companyId).execute();
  };

  const refusedKey = { status: 401, code: 'webauthn.not_accepted' };
  const variants: Array<{ label: string; holder: () => Promise<Holder>; policy: (holder: Holder) => Promise<unknown>; withValidKey: Awaited<ReturnType<typeof outcome>> }> = [
    {
      label: 'a company that allows only its office network (the test client is on loopback)',
      holder: rootWithKey,
      policy: (h) => dbOf(server).updateTable('companies').set({ ip_allowlist: JSON.stringify(['203.0.113.0/24']) }).where('id', '=', h.companyId).execute(),
      withValidKey: { status: 403, code: 'login.ip_not_allowed', trail: ['login.ip_refused'] },
    },
    {
      label: 'a disabled user',
      holder: rootWithKey,
      policy: (h) => dbOf(server).updateTable('users').set({ status: 'disabled' }).where('company_id', '=', h.companyId).where('id', '=', h.userId).execute(),
      withValidKey: { ...refusedKey, trail: ['login.failed user_disabled'] },
    },
    {
      label: 'a suspended company',
      holder: rootWithKey,
      policy: (h) => dbOf(server).updateTable('companies').set({ status: 'suspended' }).where('id', '=', h.companyId).execute(),
      withValidKey: { ...refusedKey, trail: ['login.failed user_disabled'] },
    },
    {
      label: "an 'sso-only' company, for a user who is not break-glass",
      holder: userWithKey,
      policy: (h) => ssoOnly(h.companyId),
      withValidKey: { ...refusedKey, trail: ['login.failed sso_only'] },
    },
  ];

  test('with no policy in the way, a forged answer is refused as an invalid signature and a valid one signs in', async () => {
    const open = await rootWithKey();
    assert.deepEqual(await outcome(open, true), { ...refusedKey, trail: ['login.failed invalid_assertion'] });
    const signedIn = await passkeyLogin(open.key, false);
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  });

  for (const { label, holder, policy, withValidKey } of variants) {
    test(`${label}: a forged answer gets the generic 401, recorded as an invalid signature; a valid key learns the refusal`, async () => {
      const h = await holder();
      await policy(h);
      assert.deepEqual(
        await outcome(h, true),
        { ...refusedKey, trail: ['login.failed invalid_assertion'] },
        'a stranger with a credential id and user handle but no private key learns nothing of the policy, and leaves no refusal of the user',
      );
      assert.deepEqual(await outcome(h, false), withValidKey);
    });
  }
});
