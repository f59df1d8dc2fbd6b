// docs/MODULES.md §8: a module's silent sign-in (prompt=none) refused because the user
// may not use the module hears login_required, as for no session at all, also from a
// browser that already holds a provider session (signed in to another module, or to this
// one before it was switched off): every check Gatehouse adds to the provider's login
// prompt names that error (loginCheck, src/modules/oidc/provider.ts). The guide's silent
// snippet starts a normal sign-in on login_required and rethrows anything else.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, followRedirects, grantedModule, signInToModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let operator: Awaited<ReturnType<typeof signedInOperator>>;
let acme: Person;
let globex: Person;

before(async () => {
  server = await startTestServer({ realClock: true });
  operator = await signedInOperator(server);
  acme = await companyWithRootMaster(server, operator.agent, 'Acme Silent');
  globex = await companyWithRootMaster(server, operator.agent, 'Globex Silent');
});
after(() => server.close());

async function silentError(config: Awaited<ReturnType<typeof grantedModule>>['config'], person: Person) {
  const start = await startAuthorization(config, { prompt: 'none' });
  const walk = await followRedirects(person.agent, start.url);
  assert.ok(walk.callback, `the module hears back (ended at ${walk.at} ${walk.final?.status})`);
  assert.equal(walk.callback.searchParams.get('code'), null, 'never a code');
  return walk.callback.searchParams.get('error');
}

test('a company not granted the module, from a browser signed in to another module: prompt=none answers login_required', async () => {
  const acmeOnly = await grantedModule(server, operator.agent, acme.companyId, { name: 'Acme Only' });
  const globexWiki = await grantedModule(server, operator.agent, globex.companyId, { name: 'Globex Wiki' });
  await signInToModule(globexWiki.config, globex.agent); // the browser now holds a provider session
  const error = await silentError(acmeOnly.config, globex);
  assert.equal(error, 'login_required', `docs/MODULES.md §8 promises login_required; the module got error=${error}, which the guide's silent snippet rethrows`);
});

test('a module switched off by the Masters, silently re-authorized from the same browser: login_required', async () => {
  const wiki = await grantedModule(server, operator.agent, acme.companyId, { name: 'Acme Wiki' });
  await signInToModule(wiki.config, acme.agent);
  const off = await acme.agent.post(`/api/company/modules/${wiki.module.id}`, { enabled: false });
  assert.equal(off.status, 200, JSON.stringify(off.body));
  const error = await silentError(wiki.config, acme);
  assert.equal(error, 'login_required', `docs/MODULES.md §8 promises login_required; the module got error=${error}, which the guide's silent snippet rethrows`);
});
