// What one full module login costs the database: the module's authorization request,
// identify, password, TOTP, back through the provider to the module's callback, and the
// code redeemed for tokens. The statements are counted where they leave for the database
// (pg's Client#query on PostgreSQL, node:sqlite's statements on SQLite), so every write
// the server makes is seen, whichever layer makes it. The bounds are what the login costs
// today (docs/PERFORMANCE.md): a change that adds a write or a round trip fails here and
// must say why, or take one out elsewhere.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { enginesUnderTest, type Engine } from '../helpers/databases.ts';
import { followRedirects, logInAgain, redeem, rootWithGrantedModule, startAuthorization } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { statementsOf, watchStatements, WRITE } from '../helpers/statements.ts';

/**
 * Writes and statements of a full login, at most (PostgreSQL counts a data-modifying WITH
 * as the one write it is, and each statement is a round trip there, BEGIN and COMMIT
 * included).
 */
const BOUNDS: Record<Engine, { writes: number; statements: number }> = {
  postgres: { writes: 4, statements: 13 },
  // SQLite cannot write inside WITH, so what PostgreSQL does in one statement is two in one
  // transaction there (one commit); its statements are not round trips, and its BEGIN and
  // COMMIT are not counted (they are not prepared statements).
  sqlite: { writes: 12, statements: 19 },
};

/**
 * Statements (on PostgreSQL, round trips) of one token request, at most. A refresh's spend
 * and new tokens are one statement on PostgreSQL and two in one transaction on SQLite. A
 * client credentials request's module is remembered (remembered-modules.ts): its token's
 * insert, conditional on the module's secret, is all it costs.
 */
const TOKEN_REQUEST_BOUNDS: Record<Engine, { userinfo: number; introspection: number; refresh: number; clientCredentials: number }> = {
  postgres: { userinfo: 1, introspection: 1, refresh: 2, clientCredentials: 1 },
  sqlite: { userinfo: 1, introspection: 1, refresh: 3, clientCredentials: 1 },
};

for (const engine of await enginesUnderTest()) {
  describe(`the database cost of a full module login (${engine})`, () => {
    let server: TestServer;
    let fixture: Awaited<ReturnType<typeof rootWithGrantedModule>>;
    let unwatch: () => void;
    before(async () => {
      // The mail and logout workers poll and sweep on their own timers; they are not the login.
      server = await startTestServer({ engine, realClock: true, quietWorkers: true });
      fixture = await rootWithGrantedModule(server);
      unwatch = watchStatements(engine);
    });
    after(async () => {
      unwatch();
      await server.close();
    });

    test(`at most ${BOUNDS[engine].writes} writes and ${BOUNDS[engine].statements} statements`, async () => {
      const { root, module } = fixture;
      const browser = server.agent();
      let tokens: Awaited<ReturnType<typeof redeem>> | undefined;
      const statements = await statementsOf(async () => {
        const start = await startAuthorization(module.config);
        const toLogin = await followRedirects(browser, start.url);
        assert.ok(toLogin.at && !toLogin.callback, 'a browser without a session is sent to the login page');
        const returnTo = toLogin.at.searchParams.get('return') ?? undefined;
        const done = await logInAgain(server, browser, root, returnTo);
        const back = await followRedirects(browser, done.redirectTo ?? '/');
        assert.ok(back.callback, `the login led back to the module, not to ${back.at}`);
        tokens = await redeem(module.config, back.callback, start);
      });
      assert.ok(tokens?.access_token && tokens.refresh_token && tokens.id_token, 'the module got its tokens');

      const writes = statements.filter((sql) => WRITE.test(sql));
      const listing = `\n${writes.map((sql) => sql.replace(/\s+/g, ' ').slice(0, 110)).join('\n')}`;
      assert.ok(writes.length <= BOUNDS[engine].writes, `${writes.length} writes, at most ${BOUNDS[engine].writes} expected:${listing}`);
      assert.ok(statements.length <= BOUNDS[engine].statements, `${statements.length} statements, at most ${BOUNDS[engine].statements} expected (${writes.length} writes)`);
      // The single-use records are gone or spent: the flow, the interaction, the code.
      const { db } = server.gatehouse.deps;
      assert.equal((await db.selectFrom('login_flows').select('id_hash').where('username', '=', root.username).execute()).length, 0);
      issued = { access: tokens.access_token, refresh: tokens.refresh_token as string, sub: tokens.claims()?.sub ?? '' };
    });

    // What a module pays the database on every API call it checks, and at each refresh
    // (the same rule: counted where statements leave; a change that adds one fails here).
    let issued: { access: string; refresh: string; sub: string } | undefined;
    for (const [name, bound, call] of [
      ['userinfo', TOKEN_REQUEST_BOUNDS[engine].userinfo, (t: NonNullable<typeof issued>) => client.fetchUserInfo(fixture.module.config, t.access, t.sub)],
      ['introspection of an access token', TOKEN_REQUEST_BOUNDS[engine].introspection, (t: NonNullable<typeof issued>) => client.tokenIntrospection(fixture.module.config, t.access)],
      ['refresh', TOKEN_REQUEST_BOUNDS[engine].refresh, (t: NonNullable<typeof issued>) => client.refreshTokenGrant(fixture.module.config, t.refresh)],
      ['client credentials', TOKEN_REQUEST_BOUNDS[engine].clientCredentials, () => client.clientCredentialsGrant(fixture.module.config)],
    ] as const) {
      test(`${name}: at most ${bound} statements`, async () => {
        assert.ok(issued, 'the login above issued tokens');
        // Warm once (the provider's client and key caches), then count the second call.
        if (name !== 'refresh') await call(issued);
        const given = issued;
        let answer: unknown;
        const statements = await statementsOf(async () => {
          answer = await call(given);
        });
        assert.ok(answer, `the ${name} request was answered`);
        const listing = `\n${statements.map((sql) => sql.replace(/\s+/g, ' ').slice(0, 140)).join('\n')}`;
        assert.ok(statements.length <= bound, `${statements.length} statements, at most ${bound} expected:${listing}`);
      });
    }
  });
}
