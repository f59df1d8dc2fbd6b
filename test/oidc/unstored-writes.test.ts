// A provider answer leaves only after what it wrote is stored (src/modules/oidc/write-batch.ts):
// when the database refuses the batch, the browser or module gets an error, never a code or
// tokens the database does not hold. The database refuses for real here: a trigger rejects
// the one kind of record, as a full disk or a broken connection would reject the statement.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { enginesUnderTest, type Engine } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { client, companyWithRootMaster, grantedModule, redeem, REDIRECT_URI, signInToModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

function refuseRecords(server: TestServer, engine: Engine, model: string) {
  const { db } = server.gatehouse.deps;
  if (engine === 'sqlite') {
    return sql
      .raw(`create trigger refuse_for_test before insert on oidc_records when new.model = '${model}' begin select raise(abort, 'refused for the test'); end`)
      .execute(db);
  }
  return sql
    .raw(
      `create function refuse_for_test() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$;
       create trigger refuse_for_test before insert on oidc_records for each row when (new.model = '${model}') execute function refuse_for_test()`,
    )
    .execute(db);
}

async function acceptRecords(server: TestServer, engine: Engine) {
  const { db } = server.gatehouse.deps;
  await sql.raw('drop trigger refuse_for_test' + (engine === 'postgres' ? ' on oidc_records' : '')).execute(db);
  if (engine === 'postgres') await sql.raw('drop function refuse_for_test').execute(db);
}

for (const engine of await enginesUnderTest()) {
  describe(`answers whose writes could not be stored (${engine})`, () => {
    let server: TestServer;
    let user: Person;
    let module: Awaited<ReturnType<typeof grantedModule>>;
    before(async () => {
      server = await startTestServer({ realClock: true, engine, quietWorkers: true });
      const operator = await signedInOperator(server);
      user = await companyWithRootMaster(server, operator.agent);
      module = await grantedModule(server, operator.agent, user.companyId);
    });
    after(() => server.close());

    test('the return to the module is an error page with no code, and works once the database takes it', async () => {
      const start = await startAuthorization(module.config);
      const authorize = await user.agent.get(start.url.pathname + start.url.search);
      // A browser with a session goes from the authorization straight to the resume.
      const resume = new URL(authorize.headers.get('location') ?? '', start.url);
      assert.match(resume.pathname, /^\/oidc\/auth\/[\w-]+$/);

      await refuseRecords(server, engine, 'AuthorizationCode');
      const refused = await user.agent.get(resume.pathname);
      await acceptRecords(server, engine);
      assert.equal(refused.status, 500);
      assert.equal(refused.headers.get('location'), null, 'no redirect, so no code');
      assert.match(refused.headers.get('content-type') ?? '', /text\/html/);
      assert.deepEqual(refused.setCookies, [], 'no cookie set or cleared');

      // Nothing of the refused resume was kept, the interaction's end included: it can resume.
      const resumed = await user.agent.get(resume.pathname);
      assert.equal(resumed.status, 303);
      const callback = new URL(resumed.headers.get('location') ?? '', REDIRECT_URI);
      assert.ok(callback.searchParams.get('code'), `a code now: ${callback}`);
      const tokens = await redeem(module.config, callback, start);
      assert.ok(tokens.access_token);
    });

    test('a code exchange whose tokens are refused answers server_error, not tokens', async () => {
      const start = await startAuthorization(module.config);
      const authorize = await user.agent.get(start.url.pathname + start.url.search);
      const location = new URL(authorize.headers.get('location') ?? '', REDIRECT_URI);
      assert.ok(location.searchParams.get('code'), 'a silent sign-in gives a code at once');

      await refuseRecords(server, engine, 'AccessToken');
      // openid-client reads no OAuth error from a 5xx: it hands over the response.
      const exchange = await redeem(module.config, location, start).then(
        () => undefined,
        (error: { cause?: unknown }) => error.cause,
      );
      await acceptRecords(server, engine);
      assert.ok(exchange instanceof Response, `a refused exchange, not tokens: ${String(exchange)}`);
      assert.equal(exchange.status, 500);
      assert.equal((await exchange.json()).error, 'server_error');

      // The database takes writes again: the module signs in as usual.
      const again = await signInToModule(module.config, user.agent);
      assert.ok(again.tokens.access_token && (await client.tokenIntrospection(module.config, again.tokens.access_token)).active);
    });
  });
}
