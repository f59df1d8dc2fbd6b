// A module that sends id_token_hint says which user it expects (OpenID Connect Core
// §3.1.2.1: when that user is neither signed in nor signed in by the request, the provider
// SHOULD answer with an error such as login_required). Gatehouse sends a browser signed in
// as someone else to log in for the request (sign-in-gate.ts); a login made there by the
// same someone else must not turn into a code for them: a module re-confirming its user
// ("log in again as dana") would be handed another person's sign-in. The module hears
// login_required instead. (The hinted person logging in gets the code: fresh-login.test.ts.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { companyUser, followRedirects, grantedModule, jwtParts, logInAgain, rootWithGrantedModule, signInToModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let root: Person;
let module: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ root, module } = await rootWithGrantedModule(server));
});
after(() => server.close());

test("an id_token_hint for someone else, answered by a login as the browser's own user, gives no code for that user", async () => {
  const hinted = await companyUser(server, root, 'hinted');
  const hint = (await signInToModule(module.config, hinted.agent)).tokens.id_token as string;
  const hintedSub = jwtParts(hint).payload.sub;
  const before = await signInToModule(module.config, root.agent);
  assert.notEqual(before.claims.sub, hintedSub);

  const start = await startAuthorization(module.config, { id_token_hint: hint });
  const toLogin = await followRedirects(root.agent, start.url);
  assert.equal(toLogin.at?.pathname, '/login', `sent to log in for the hinted user, not ${toLogin.callback ?? toLogin.at}`);
  const returnTo = toLogin.at.searchParams.get('return') ?? assert.fail('the login returns to the sign-in');

  // The person at this browser logs in again, as themselves, for this very sign-in.
  await logInAgain(server, root.agent, root, returnTo);
  const walk = await followRedirects(root.agent, returnTo);
  const callback = walk.callback ?? assert.fail(`back at the module with an answer, not at ${walk.at}`);
  assert.equal(callback.searchParams.get('code'), null, 'no code for the person who was not hinted');
  assert.equal(callback.searchParams.get('error'), 'login_required');
  assert.equal(callback.searchParams.get('state'), start.state);
});
