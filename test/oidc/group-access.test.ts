// Module access by group at the provider: once a company gives a module to some of its
// groups, a user outside all of them is refused with Gatehouse's own 403 page (no code
// reaches the module), and a user who leaves the group, or whose module a group takes for
// itself, loses the tokens they hold at once: refresh and userinfo refuse.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { client, companyUser, companyWithRootMaster, followRedirects, grantedModule, signInToModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { replaceMembershipsByGroupNames } from '../../src/groups/index.ts';

let server: TestServer;
let acme: Person;
let casey: Person;
let caseyId: string;
let ticketing: Awaited<ReturnType<typeof grantedModule>>;
let operator: Awaited<ReturnType<typeof signedInOperator>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  operator = await signedInOperator(server);
  acme = await companyWithRootMaster(server, operator.agent, 'Acme <Groups> IT');
  casey = await companyUser(server, acme, 'casey');
  const row = await server.gatehouse.deps.db.selectFrom('users').select('id').where('company_id', '=', acme.companyId).where('username', '=', 'casey').executeTakeFirstOrThrow();
  caseyId = row.id;
  ticketing = await grantedModule(server, operator.agent, acme.companyId, { name: 'Ticketing' });
});
after(() => server.close());

async function assertRefusedForGroups(agent: Agent) {
  const start = await startAuthorization(ticketing.config);
  const walk = await followRedirects(agent, start.url);
  assert.equal(walk.callback, undefined, 'the module got nothing back');
  assert.ok(walk.final);
  assert.equal(walk.final.status, 403);
  assert.equal(walk.final.headers.get('cache-control'), 'no-store');
  const page = String(walk.final.body);
  assert.match(page, /This module is not available/);
  assert.match(page, /gives Ticketing only to some of its groups, and your account is in none of them/);
  assert.ok(page.includes('Acme &#60;Groups&#62; IT') && !page.includes('<Groups>'), 'the company is named, escaped');
  assert.ok(!page.includes('code='));
}

async function assertTokensEnded(tokens: client.TokenEndpointResponse, sub: string) {
  await assert.rejects(client.refreshTokenGrant(ticketing.config, tokens.refresh_token as string), (error: any) => {
    assert.equal(error.error, 'invalid_grant');
    return true;
  });
  await assert.rejects(client.fetchUserInfo(ticketing.config, tokens.access_token, sub), (error: any) => {
    assert.equal(error.status ?? error.response?.status, 401, String(error));
    return true;
  });
}

const post = async (path: string, body: unknown = {}) => {
  const answer = await acme.agent.post(path, body);
  assert.equal(answer.status < 300, true, `${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
};

test('a user outside every group that has the module is refused at the provider; a member signs in', async () => {
  const { group } = await post('/api/company/groups', { name: 'Service Desk' });
  await post(`/api/company/groups/${group.id}/modules`, { moduleIds: [ticketing.module.id] });
  await assertRefusedForGroups(casey.agent);
  // The Root Master follows groups too.
  await assertRefusedForGroups(acme.agent);

  await post(`/api/company/groups/${group.id}/members`, { userId: caseyId });
  const { tokens, claims } = await signInToModule(ticketing.config, casey.agent);
  assert.equal(claims.preferred_username, 'casey');
  // Refresh works while casey is a member.
  const refreshed = await client.refreshTokenGrant(ticketing.config, tokens.refresh_token as string);
  assert.ok(refreshed.access_token);

  // Removed from the group: the tokens casey holds stop at once, and signing in is refused.
  await post(`/api/company/groups/${group.id}/members/${caseyId}/remove`);
  await assertTokensEnded(refreshed, claims.sub);
  const bound = await server.gatehouse.deps.db
    .selectFrom('module_grant_sessions')
    .selectAll()
    .where('company_id', '=', acme.companyId)
    .where('user_id', '=', caseyId)
    .execute();
  assert.deepEqual(bound, [], 'no grant of casey is left bound');
  await assertRefusedForGroups(casey.agent);
  await post(`/api/company/groups/${group.id}/delete`);
});

test('a group taking a module for itself ends the tokens of everyone outside it', async () => {
  const { tokens, claims } = await signInToModule(ticketing.config, casey.agent);
  const { group } = await post('/api/company/groups', { name: 'Managers' });
  await post(`/api/company/groups/${group.id}/modules`, { moduleIds: [ticketing.module.id] });
  await assertTokensEnded(tokens, claims.sub);
  await assertRefusedForGroups(casey.agent);

  // The group deleted: the module is open to the whole company again.
  await post(`/api/company/groups/${group.id}/delete`);
  await signInToModule(ticketing.config, casey.agent);
});

test('deleting a group ends its members’ tokens while another group keeps the module; so does the identity-provider sync', async () => {
  const a = (await post('/api/company/groups', { name: 'Alpha' })).group;
  const b = (await post('/api/company/groups', { name: 'Beta' })).group;
  for (const group of [a, b]) await post(`/api/company/groups/${group.id}/modules`, { moduleIds: [ticketing.module.id] });
  await post(`/api/company/groups/${a.id}/members`, { userId: caseyId });
  const first = await signInToModule(ticketing.config, casey.agent);
  await post(`/api/company/groups/${a.id}/delete`);
  await assertTokensEnded(first.tokens, first.claims.sub);
  await assertRefusedForGroups(casey.agent);

  // The provider's group claim puts casey in Beta, then takes Beta away.
  const { deps } = server.gatehouse;
  const sync = (names: string[]) => deps.db.transaction().execute((tx) => replaceMembershipsByGroupNames(tx, Date.now(), acme.companyId, caseyId, names));
  assert.deepEqual(await sync(['BETA']), { added: ['Beta'], removed: [] });
  const second = await signInToModule(ticketing.config, casey.agent);
  assert.deepEqual(await sync(['Gamma']), { added: [], removed: ['Beta'] });
  await assertTokensEnded(second.tokens, second.claims.sub);
  await assertRefusedForGroups(casey.agent);
  await post(`/api/company/groups/${b.id}/delete`);
});

test('a module with a back-channel logout URI is told when a member leaves the group', async () => {
  const receiver = await startBackchannelReceiver();
  try {
    const chat = await grantedModule(server, operator.agent, acme.companyId, { name: 'Chat', backchannelLogoutUri: receiver.url('/chat/backchannel') });
    const { group } = await post('/api/company/groups', { name: 'Chatters' });
    await post(`/api/company/groups/${group.id}/modules`, { moduleIds: [chat.module.id] });
    await post(`/api/company/groups/${group.id}/members`, { userId: caseyId });
    const { claims } = await signInToModule(chat.config, casey.agent);
    await post(`/api/company/groups/${group.id}/members/${caseyId}/remove`);
    const notice = await receiver.waitFor((n) => n.path === '/chat/backchannel' && n.payload.sid === claims.sid, 'the logout notice');
    assert.equal(notice.payload.sub, claims.sub);
    const queued = await server.gatehouse.deps.db.selectFrom('backchannel_outbox').select('reason').where('client_id', '=', chat.module.clientId).execute();
    assert.deepEqual(queued.map((r) => r.reason), ['group_changed']);
    await post(`/api/company/groups/${group.id}/delete`);
  } finally {
    await receiver.close();
  }
});
