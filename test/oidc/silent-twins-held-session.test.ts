// Two silent sign-ins at once (two modules) from a browser logged in at the portal only
// that already holds a provider session nobody signed in to (it opened the logout page):
// both modules get a code, and both codes redeem. Each request makes the held session a
// new one as it takes the live login (a new identifier and uid: takeLiveLogin), as from a
// browser with no provider session at all; taking it over as it was, on PostgreSQL one of
// the two codes was refused at the token endpoint (invalid_grant).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyUser, companyWithRootMaster, followRedirects, grantedModule, redeem, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) {
  describe(`two silent sign-ins at once from a portal-only browser holding an anonymous provider session (${engine})`, () => {
    let server: TestServer;
    let operator: Agent;
    let root: Person;
    const modules: Awaited<ReturnType<typeof grantedModule>>[] = [];
    before(async () => {
      server = await startTestServer({ engine, realClock: true });
      operator = (await signedInOperator(server)).agent;
      root = await companyWithRootMaster(server, operator);
      for (const name of ['Alpha', 'Beta']) modules.push(await grantedModule(server, operator, root.companyId, { name }));
    });
    after(() => server.close());

    for (let round = 1; round <= 3; round += 1) {
      test(`round ${round}: both modules get a code, and both codes redeem`, async () => {
        const person = await companyUser(server, root, `twin${engine}${round}`);
        assert.equal((await person.agent.get('/oidc/session/end', { accept: 'text/html' })).status, 200, 'the logout page');
        const starts = await Promise.all(modules.map((m) => startAuthorization(m.config, { prompt: 'none' })));
        const walks = await Promise.all(starts.map((s) => followRedirects(person.agent, s.url)));
        const failures: string[] = [];
        for (const [i, walk] of walks.entries()) {
          const callback = walk.callback ?? assert.fail('a silent sign-in showed a page');
          assert.equal(callback.searchParams.get('error'), null, `module ${i}: ${callback.searchParams.get('error')}`);
          try {
            const tokens = await redeem(modules[i]!.config, callback, starts[i]!);
            assert.equal(tokens.claims()?.preferred_username, person.username);
          } catch (error) {
            failures.push(`module ${i}: ${(error as Error).message} ${JSON.stringify((error as { cause?: unknown }).cause)}`);
          }
        }
        assert.deepEqual(failures, [], 'a code handed to a module must redeem');
      });
    }
  });
}
