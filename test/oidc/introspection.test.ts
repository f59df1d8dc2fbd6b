// Introspection (RFC 7662) and revocation (RFC 7009) as modules use them: a live token is
// active until revoked; a module learns nothing about, and cannot revoke, another's tokens.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signedInOperator } from '../helpers/journey.ts';
import { client, companyWithRootMaster, grantedModule, signInToModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let root: Person;
let ticketing: Awaited<ReturnType<typeof grantedModule>>;
let billing: Awaited<ReturnType<typeof grantedModule>>;
let fieldApp: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  const operator = await signedInOperator(server);
  root = await companyWithRootMaster(server, operator.agent);
  ticketing = await grantedModule(server, operator.agent, root.companyId, { name: 'Ticketing' });
  billing = await grantedModule(server, operator.agent, root.companyId, { name: 'Billing' });
  fieldApp = await grantedModule(server, operator.agent, root.companyId, { name: 'Field App', clientType: 'public' });
});
after(() => server.close());

test('introspection describes a live access token', async () => {
  const { tokens, claims } = await signInToModule(ticketing.config, root.agent);
  const details = await client.tokenIntrospection(ticketing.config, tokens.access_token);
  assert.equal(details.active, true);
  assert.equal(details.sub, claims.sub);
  assert.equal(details.client_id, ticketing.module.clientId);
  assert.deepEqual(String(details.scope).split(' ').sort(), ['company', 'email', 'openid', 'profile']);
  assert.ok(typeof details.exp === 'number' && details.exp > Date.now() / 1000);
  assert.ok(details.exp <= Date.now() / 1000 + 10 * 60 + 5, 'access tokens are short-lived (10 minutes)');

  const unknown = await client.tokenIntrospection(ticketing.config, 'not-a-token-we-issued');
  assert.equal(unknown.active, false);
});

test('a public module, which has no secret to authenticate with, learns nothing from introspection, not even of its own tokens', async () => {
  const { tokens, claims } = await signInToModule(fieldApp.config, root.agent);
  // Its client id is public: anyone holding one of its tokens could ask with it.
  for (const token of [tokens.access_token, tokens.refresh_token as string]) {
    assert.deepEqual(await client.tokenIntrospection(fieldApp.config, token), { active: false });
  }
  // The token itself still works where it is meant to be used.
  assert.equal((await client.fetchUserInfo(fieldApp.config, tokens.access_token, claims.sub)).sub, claims.sub);
  // And revoking its own tokens (a logout) is still allowed (RFC 7009 §5).
  await client.tokenRevocation(fieldApp.config, tokens.refresh_token as string, { token_type_hint: 'refresh_token' });
  await assert.rejects(client.refreshTokenGrant(fieldApp.config, tokens.refresh_token as string), (error: any) => error.error === 'invalid_grant');
});

test('a revoked access token is inactive and opens no userinfo', async () => {
  const { tokens, claims } = await signInToModule(ticketing.config, root.agent);
  await client.fetchUserInfo(ticketing.config, tokens.access_token, claims.sub);
  await client.tokenRevocation(ticketing.config, tokens.access_token);
  assert.equal((await client.tokenIntrospection(ticketing.config, tokens.access_token)).active, false);
  await assert.rejects(client.fetchUserInfo(ticketing.config, tokens.access_token, claims.sub), (error: any) => {
    assert.equal(error.status ?? error.response?.status, 401, String(error));
    return true;
  });
  // Revoking again, or revoking nonsense, is not an error (RFC 7009 §2.2).
  await client.tokenRevocation(ticketing.config, tokens.access_token);
  await client.tokenRevocation(ticketing.config, 'not-a-token-we-issued');
});

test('a revoked refresh token is inactive, refreshes nothing, and ends the grant', async () => {
  const { tokens } = await signInToModule(ticketing.config, root.agent);
  const refresh = tokens.refresh_token as string;
  assert.equal((await client.tokenIntrospection(ticketing.config, refresh)).active, true);
  await client.tokenRevocation(ticketing.config, refresh, { token_type_hint: 'refresh_token' });
  assert.equal((await client.tokenIntrospection(ticketing.config, refresh)).active, false);
  await assert.rejects(client.refreshTokenGrant(ticketing.config, refresh), (error: any) => {
    assert.equal(error.error, 'invalid_grant');
    return true;
  });
  assert.equal((await client.tokenIntrospection(ticketing.config, tokens.access_token)).active, false);
});

test("a module learns nothing about another module's tokens and cannot revoke them", async () => {
  const { tokens } = await signInToModule(ticketing.config, root.agent);
  const seenByBilling = await client.tokenIntrospection(billing.config, tokens.access_token);
  assert.equal(seenByBilling.active, false);
  assert.equal(seenByBilling.sub, undefined);
  assert.equal((await client.tokenIntrospection(billing.config, tokens.refresh_token as string)).active, false);

  await client.tokenRevocation(billing.config, tokens.access_token).catch(() => undefined);
  await client.tokenRevocation(billing.config, tokens.refresh_token as string).catch(() => undefined);
  assert.equal((await client.tokenIntrospection(ticketing.config, tokens.access_token)).active, true);
  assert.ok((await client.refreshTokenGrant(ticketing.config, tokens.refresh_token as string)).access_token);
});

test('introspection and revocation need client authentication', async () => {
  const { tokens } = await signInToModule(ticketing.config, root.agent);
  const { introspection_endpoint: introspection, revocation_endpoint: revocation } = ticketing.config.serverMetadata();
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const anonymous = await fetch(introspection as string, { method: 'POST', headers: form, body: new URLSearchParams({ token: tokens.access_token }) });
  assert.ok([400, 401].includes(anonymous.status), `status ${anonymous.status}`);
  const answer = (await anonymous.json()) as { error: string; active?: boolean };
  assert.ok(['invalid_request', 'invalid_client'].includes(answer.error), answer.error);
  assert.equal(answer.active, undefined, 'no answer about the token');

  const wrongSecret = `Basic ${Buffer.from(`${ticketing.module.clientId}:wrong`).toString('base64')}`;
  const revoke = await fetch(revocation as string, {
    method: 'POST',
    headers: { ...form, authorization: wrongSecret },
    body: new URLSearchParams({ token: tokens.access_token }),
  });
  assert.equal(revoke.status, 401);
  assert.equal((await client.tokenIntrospection(ticketing.config, tokens.access_token)).active, true);
});
