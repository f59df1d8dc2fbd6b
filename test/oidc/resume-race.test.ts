// The end of a sign-in (the browser's return to /oidc/auth/:uid after the login) is good
// once. Two of them racing, as a double click or a replayed request would, give one code:
// the other gets an error page, no code and no session cookie, and only one launch is
// audited (src/modules/oidc/write-batch.ts: the resume's writes are stored only if its
// delete of the interaction found it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { grantedModule, redeem, REDIRECT_URI, rootWithGrantedModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) {
  describe(`two resumes of one sign-in (${engine})`, () => {
    let server: TestServer;
    let user: Person;
    let module: Awaited<ReturnType<typeof grantedModule>>;
    before(async () => {
      server = await startTestServer({ realClock: true, engine });
      ({ root: user, module } = await rootWithGrantedModule(server));
    });
    after(() => server.close());

    const launches = async () =>
      (
        await server.gatehouse.deps.db
          .selectFrom('audit_events')
          .select('id')
          .where('action', '=', 'module.launched')
          .where('company_id', '=', user.companyId)
          .where('target', '=', module.module.clientId)
          .execute()
      ).length;

    test('racing each other give exactly one code; the other is refused cleanly', async () => {
      const start = await startAuthorization(module.config);
      // The module's request, then Gatehouse's interaction route (the user is signed in),
      // which finishes the interaction and sends the browser back to the provider.
      const authorize = await user.agent.get(start.url.pathname + start.url.search);
      assert.equal(authorize.status, 303);
      const interaction = await user.agent.get(new URL(authorize.headers.get('location') ?? '', start.url).pathname);
      assert.equal(interaction.status, 303, `the interaction route answered ${interaction.status}`);
      const resume = new URL(interaction.headers.get('location') ?? '', start.url);
      assert.match(resume.pathname, /^\/oidc\/auth\/[\w-]+$/);
      const launchesBefore = await launches();

      const answers = await Promise.all([user.agent.get(resume.pathname), user.agent.get(resume.pathname)]);

      const withCode = answers.filter((answer) => new URL(answer.headers.get('location') ?? '/', REDIRECT_URI).searchParams.has('code'));
      assert.equal(withCode.length, 1, `exactly one code, got ${answers.map((answer) => `${answer.status} ${answer.headers.get('location')}`).join(', ')}`);
      const [winner] = withCode;
      const loser = answers.find((answer) => answer !== winner);
      assert.ok(winner && loser);
      assert.ok(loser.status >= 400 && loser.status < 500, `the other is refused, not a server error: ${loser.status}`);
      assert.equal(loser.headers.get('location'), null, 'no redirect');
      assert.deepEqual(loser.setCookies.filter((cookie) => /^_session=/.test(cookie)), [], 'no provider session cookie');
      assert.equal(await launches(), launchesBefore + 1, 'one launch audited');

      const tokens = await redeem(module.config, new URL(winner.headers.get('location') ?? ''), start);
      assert.ok(tokens.access_token && tokens.id_token, 'the code that came out works');
    });
  });
}
