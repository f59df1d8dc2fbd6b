// The first operator's one-time link, issued several times at once: two nodes starting
// together, or `gatehouse operator setup-link` run during a start. Each issue revokes the
// one before it, so however they interleave one link is live; and the first operator is
// one user. (src/companies/platform.ts, firstOperatorSetup.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { firstOperatorSetup } from '../../src/companies/index.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`the first operator's link issued several times at once (${engine})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ engine });
  });
  after(() => server.close());

  test('one link stays live, the newest, and there is one first operator', async () => {
    const deps = server.gatehouse.deps;
    for (let round = 0; round < 5; round += 1) {
      const issued = await Promise.all([firstOperatorSetup(deps), firstOperatorSetup(deps), firstOperatorSetup(deps)]);
      const live = await deps.db.selectFrom('action_links').select('id').where('purpose', '=', 'signup').where('consumed_at', 'is', null).where('revoked_at', 'is', null).execute();
      assert.equal(live.length, 1, `round ${round}: every link but one is revoked`);
      // The live one is one of those just printed: a link printed and then revoked is the older.
      const working = await Promise.all(issued.map(async (setup) => (await server.agent().get(`/api/signup/${setup!.url.split('/signup/')[1]}`)).status));
      assert.deepEqual(working.filter((status) => status === 200).length, 1, `round ${round}: ${working.join(', ')}`);
    }
    const admins = await deps.db.selectFrom('users').select('id').where('username', '=', 'admin').execute();
    assert.equal(admins.length, 1);
  });
});
