// Which companies may use a module: operators grant it, the company's Masters switch it on
// or off. A user whose company may not use it is refused at the provider with a page of
// our own, never sent back to the module with a code; the launcher shows only what works.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { signedInOperator } from '../helpers/journey.ts';
import {
  client,
  companyUser,
  companyWithRootMaster,
  followRedirects,
  grantedModule,
  registerTestModule,
  signInToModule,
  startAuthorization,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let operator: Awaited<ReturnType<typeof signedInOperator>>;
let acme: Person;
let globex: Person;
let acmeUser: Person;
let ticketing: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  operator = await signedInOperator(server);
  acme = await companyWithRootMaster(server, operator.agent, 'Acme Managed IT');
  globex = await companyWithRootMaster(server, operator.agent, 'Globex <Services>');
  acmeUser = await companyUser(server, acme, 'casey');
  ticketing = await grantedModule(server, operator.agent, acme.companyId, { name: 'Ticketing' });
});
after(() => server.close());

/** The sign-in ends on Gatehouse's 403 page: no redirect, no code for the module. */
async function assertRefusedAtProvider(config: client.Configuration, agent: Agent, companyName: string) {
  const start = await startAuthorization(config);
  const walk = await followRedirects(agent, start.url);
  assert.equal(walk.callback, undefined, `the module got nothing back (${walk.callback})`);
  assert.ok(walk.final && walk.at);
  assert.equal(walk.final.status, 403);
  assert.equal(walk.final.headers.get('location'), null);
  assert.match(walk.final.headers.get('content-type') ?? '', /text\/html/);
  assert.equal(walk.final.headers.get('cache-control'), 'no-store');
  const page = String(walk.final.body);
  assert.match(page, /is not enabled for/);
  assert.ok(page.includes(companyName.replace(/</g, '&#60;').replace(/>/g, '&#62;')), 'the company is named, escaped');
  assert.ok(!page.includes('<Services>'), 'names are escaped');
  assert.ok(!page.includes('code='), 'no code anywhere on the page');
}

async function launcher(agent: Agent) {
  const answer = await agent.get('/api/modules');
  assert.equal(answer.status, 200);
  return (answer.body.modules as { name: string }[]).map((m) => m.name).sort();
}

test('a company the module was not granted to is refused with a 403 page', async () => {
  await assertRefusedAtProvider(ticketing.config, globex.agent, 'Globex <Services>');
  // The same person is fine with a module of their own company.
  const theirs = await grantedModule(server, operator.agent, globex.companyId, { name: 'Globex Wiki' });
  const { claims } = await signInToModule(theirs.config, globex.agent);
  assert.deepEqual(claims.company, { id: globex.companyId, name: 'Globex <Services>' });
  // ...and still refused by Acme's, even with a provider session in hand now.
  await assertRefusedAtProvider(ticketing.config, globex.agent, 'Globex <Services>');
  // Granted to Acme only: Acme's users may use it.
  await signInToModule(ticketing.config, acmeUser.agent);
});

test("a company's Root Master disables a module: its users are refused and the launcher hides it", async () => {
  const wiki = await grantedModule(server, operator.agent, acme.companyId, { name: 'Wiki' });
  const { tokens } = await signInToModule(wiki.config, acmeUser.agent);
  assert.deepEqual(await launcher(acmeUser.agent), ['Ticketing', 'Wiki']);

  const off = await acme.agent.post(`/api/company/modules/${wiki.module.id}`, { enabled: false });
  assert.equal(off.status, 200, JSON.stringify(off.body));
  const listed = await acme.agent.get('/api/company/modules');
  assert.equal(listed.status, 200);
  assert.deepEqual(
    listed.body.modules.map((m: any) => [m.name, m.enabled]),
    [['Ticketing', true], ['Wiki', false]],
  );

  await assertRefusedAtProvider(wiki.config, acmeUser.agent, 'Acme Managed IT');
  await assertRefusedAtProvider(wiki.config, acme.agent, 'Acme Managed IT');
  assert.deepEqual(await launcher(acmeUser.agent), ['Ticketing']);
  assert.deepEqual(await launcher(acme.agent), ['Ticketing']);
  // Tokens from before the switch get nothing new either.
  await assert.rejects(client.refreshTokenGrant(wiki.config, tokens.refresh_token as string), (error: any) => {
    assert.equal(error.error, 'invalid_grant');
    return true;
  });

  const on = await acme.agent.post(`/api/company/modules/${wiki.module.id}`, { enabled: true });
  assert.equal(on.status, 200);
  await signInToModule(wiki.config, acmeUser.agent);
  assert.deepEqual(await launcher(acmeUser.agent), ['Ticketing', 'Wiki']);
});

test('an operator revoking the grant refuses the company at once', async () => {
  const chat = await grantedModule(server, operator.agent, acme.companyId, { name: 'Chat' });
  const { tokens, claims } = await signInToModule(chat.config, acmeUser.agent);
  const revoked = await operator.agent.post(`/api/operator/companies/${acme.companyId}/modules/${chat.module.id}/revoke`);
  assert.equal(revoked.status, 200);
  await assertRefusedAtProvider(chat.config, acmeUser.agent, 'Acme Managed IT');
  assert.ok(!(await launcher(acmeUser.agent)).includes('Chat'));
  await assert.rejects(client.refreshTokenGrant(chat.config, tokens.refresh_token as string), (error: any) => {
    assert.equal(error.error, 'invalid_grant');
    return true;
  });
  await assert.rejects(client.fetchUserInfo(chat.config, tokens.access_token, claims.sub), (error: any) => {
    assert.equal(error.status ?? error.response?.status, 401, String(error));
    return true;
  });
});

test("a Master of another company cannot switch Acme's modules: 404 like a missing id", async () => {
  const missing = await globex.agent.post('/api/company/modules/00000000-0000-4000-8000-000000000000', { enabled: false });
  assert.equal(missing.status, 404);
  for (const enabled of [false, true]) {
    const foreign = await globex.agent.post(`/api/company/modules/${ticketing.module.id}`, { enabled });
    assert.equal(foreign.status, missing.status);
    assert.deepEqual(foreign.body, missing.body);
  }
  // A company id smuggled into the request changes nothing either.
  const smuggled = await globex.agent.post(`/api/company/modules/${ticketing.module.id}?companyId=${acme.companyId}`, {
    enabled: false,
    companyId: acme.companyId,
  });
  assert.ok(smuggled.status === 404 || smuggled.status === 400, `status ${smuggled.status}`);
  const acmeView = await acme.agent.get('/api/company/modules');
  assert.equal(acmeView.body.modules.find((m: any) => m.name === 'Ticketing').enabled, true);
  await signInToModule(ticketing.config, acmeUser.agent);
  // Globex's own list does not show Acme's modules.
  const globexView = await globex.agent.get('/api/company/modules');
  assert.ok(!globexView.body.modules.some((m: any) => m.id === ticketing.module.id));
});

test('plain users cannot manage modules; only granted and enabled ones reach their launcher', async () => {
  assert.equal((await acmeUser.agent.get('/api/company/modules')).status, 403);
  const toggle = await acmeUser.agent.post(`/api/company/modules/${ticketing.module.id}`, { enabled: false });
  assert.equal(toggle.status, 403);
  await signInToModule(ticketing.config, acmeUser.agent);

  // Registered but never granted to Acme: not in the launcher.
  await registerTestModule(operator.agent, { name: 'Unreleased' });
  const names = await launcher(acmeUser.agent);
  assert.ok(names.includes('Ticketing'));
  assert.ok(!names.includes('Unreleased'));
  const tiles = (await acmeUser.agent.get('/api/modules')).body.modules;
  for (const tile of tiles) assert.deepEqual(Object.keys(tile).sort(), ['description', 'id', 'launchUrl', 'logoUrl', 'name']);

  assert.equal((await server.agent().get('/api/modules')).status, 401);
});
