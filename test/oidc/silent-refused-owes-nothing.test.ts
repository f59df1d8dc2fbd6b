// A module that gets no code is owed nothing: a silent sign-in refused with login_required
// (max_age, acr_values asking for a key, an id_token_hint of someone else) leaves no grant
// bound to the Gatehouse session, so the user's next Log Out sends that module no logout
// notice naming them. From a browser logged in at the portal only (its provider session
// takes the live login first: takeLiveLogin) and from one signed in to another module
// alike: the grant is saved and bound only once the login checks pass (the gatehouse_grant
// prompt, src/modules/oidc/provider.ts). test/oidc/backchannel-owed-only.test.ts holds the
// same rule for a module the company was never granted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackchannelReceiver } from '../helpers/backchannel.ts';
import { companyUser, followRedirects, grantedModule, rootWithGrantedModule, signInToModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let root: Person;
let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
let notified: Awaited<ReturnType<typeof grantedModule>>;
let other: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  receiver = await startBackchannelReceiver();
  server = await startTestServer({ realClock: true });
  const started = await rootWithGrantedModule(server);
  root = started.root;
  other = started.module;
  notified = await grantedModule(server, started.operator.agent, root.companyId, { name: 'Notified', backchannelLogoutUri: receiver.url('/notified') });
});
after(async () => {
  await server.close();
  await receiver.close();
});

let people = 0;
const noticesFor = async (accountSub: string | undefined) =>
  (await server.gatehouse.deps.db.selectFrom('backchannel_outbox').select(['account_id']).where('client_id', '=', notified.module.clientId).execute()).filter(
    (row) => accountSub === undefined || row.account_id === accountSub,
  ).length;

async function refusedThenLogOut(extra: () => Promise<Record<string, string>>, signedInElsewhere = false) {
  people += 1;
  const person = await companyUser(server, root, `refused${people}`);
  if (signedInElsewhere) await signInToModule(other.config, person.agent);
  const before = await noticesFor(undefined);
  const start = await startAuthorization(notified.config, { prompt: 'none', ...(await extra()) });
  const walk = await followRedirects(person.agent, start.url);
  assert.ok(walk.callback, 'the module hears back');
  assert.equal(walk.callback.searchParams.get('code'), null);
  assert.equal(walk.callback.searchParams.get('error'), 'login_required');
  assert.equal((await person.agent.post('/api/logout')).status, 200);
  // The logout fills the outbox in its own transaction.
  assert.equal(await noticesFor(undefined), before, 'a module that got no code is owed no logout notice naming the user');
}

for (const signedInElsewhere of [false, true]) {
  const browser = signedInElsewhere ? 'a browser signed in to another module' : 'a portal-only browser';
  describe(`a refused silent sign-in from ${browser} leaves the module owed nothing`, () => {
    test('max_age=0 (login_required): no logout notice at the next Log Out', () => refusedThenLogOut(async () => ({ max_age: '0' }), signedInElsewhere));
    test('acr_values asking for a key (login_required): no logout notice at the next Log Out', () =>
      refusedThenLogOut(async () => ({ acr_values: 'urn:gatehouse:loa:phishing-resistant' }), signedInElsewhere));
    test('id_token_hint of another user (login_required): no logout notice naming this user at the next Log Out', () =>
      refusedThenLogOut(async () => ({ id_token_hint: (await signInToModule(notified.config, root.agent)).tokens.id_token as string }), signedInElsewhere));
  });
}
