// The page an RP-initiated logout ends on when it has no post-logout URI says what was
// ended (test/oidc/logout.test.ts: after "Stay Logged In", "You are logged out of
// Ticketing. You are still logged in to Gatehouse."). It takes the module from the query
// (?client_id=), so a plain link from anywhere, with no logout at all, tells a signed-in
// user they are logged out of Ticketing while Ticketing's sign-in and tokens live on.
// On a shared computer that is the sentence a user leaves on. The page now names the
// module as logged out of only when the browser's provider session holds no sign-in to it
// (after "Stay Logged In", test/oidc/logout.test.ts), and says it is still signed in when
// it does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, rootWithGrantedModule, signInToModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let root: Person;
let module: Awaited<ReturnType<typeof rootWithGrantedModule>>['module'];

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ root, module } = await rootWithGrantedModule(server));
});
after(() => server.close());

test('a link to the logout success page, with no logout, does not claim the module was logged out', async () => {
  const { tokens } = await signInToModule(module.config, root.agent);
  const page = await root.agent.get(`/oidc/session/end/success?${new URLSearchParams({ client_id: module.module.clientId })}`, {
    accept: 'text/html',
    'sec-fetch-site': 'cross-site',
  });
  assert.equal((await client.tokenIntrospection(module.config, tokens.access_token)).active, true, 'nothing was logged out');
  assert.equal((await client.refreshTokenGrant(module.config, tokens.refresh_token as string)).token_type.toLowerCase(), 'bearer');
  assert.doesNotMatch(String(page.body), /You are logged out of Ticketing/, 'the page claims a logout that never happened');
  assert.match(String(page.body), /You are still logged in to Ticketing and to Gatehouse\./);
});
