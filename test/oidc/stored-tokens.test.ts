// What the provider hands out is never stored as it is (src/modules/oidc/stored-ids.ts):
// oidc-provider's record id IS the token, so oidc_records kept every live access token,
// refresh token, code, client credentials token and provider session cookie as its row
// id, and a backup or any read of the database gave them away (a row id sent as a Bearer
// token reached /api/v1). Now no value handed out appears in any row, every one of them
// still works, and a row id is worth nothing as a token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, callApi, company, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { client, companyWithRootMaster, grantedModule, signInToModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** The provider session's cookie over http (src/http/cookies.ts). */
const PROVIDER_SESSION_COOKIE = '_session';

for (const engine of await enginesUnderTest()) {
  describe(`the provider's records hold no token it handed out (${engine})`, () => {
    let server: TestServer;
    let root: Person;
    let ticketing: Awaited<ReturnType<typeof grantedModule>>;
    let signedIn: Awaited<ReturnType<typeof signInToModule>>;
    let apiCompanyId: string;
    let apiToken: string;
    let moduleToken: string;
    /** Every value the provider handed out in the sign-in and the two client credentials requests. */
    let handedOut: Record<string, string>;

    before(async () => {
      server = await startTestServer({ engine, realClock: true });
      const operator = await signedInOperator(server);
      root = await companyWithRootMaster(server, operator.agent);
      ticketing = await grantedModule(server, operator.agent, root.companyId, { name: 'Ticketing' });
      signedIn = await signInToModule(ticketing.config, root.agent);
      const acme = await company(server, `Stored Tokens ${engine}`, `stella${engine}`);
      apiCompanyId = acme.companyId;
      const integration = await apiClient(server, { scopes: ['users:read'], companyId: apiCompanyId });
      apiToken = await tokenFor(server, integration.client.clientId, integration.clientSecret);
      moduleToken = await tokenFor(server, ticketing.module.clientId, ticketing.clientSecret as string);
      handedOut = {
        code: signedIn.callback.searchParams.get('code') ?? assert.fail('a code came back'),
        'access token': signedIn.tokens.access_token,
        'refresh token': signedIn.tokens.refresh_token ?? assert.fail('a refresh token came back'),
        'provider session cookie': root.agent.cookies.get(PROVIDER_SESSION_COOKIE) ?? assert.fail('the browser holds a provider session'),
        "an API client's client credentials token": apiToken,
        "a module's client credentials token": moduleToken,
      };
    });
    after(() => server.close());

    const rows = () => server.gatehouse.deps.db.selectFrom('oidc_records').select(['model', 'id', 'payload']).execute();

    function assertNoneStored(stored: Array<{ model: string; id: string; payload: string }>, values: Record<string, string>) {
      for (const row of stored) {
        for (const [what, value] of Object.entries(values)) {
          assert.ok(!row.id.includes(value), `the ${what} is the id of a ${row.model} row`);
          assert.ok(!row.payload.includes(value), `the ${what} is in the payload of a ${row.model} row`);
        }
      }
    }

    test('no row id or payload holds a code, token or session cookie the provider handed out', async () => {
      const stored = await rows();
      for (const model of ['AuthorizationCode', 'AccessToken', 'RefreshToken', 'Session', 'ClientCredentials']) {
        assert.ok(stored.some((row) => row.model === model), `a ${model} row is stored`);
      }
      assertNoneStored(stored, handedOut);
    });

    test('each of them still works: introspection, userinfo, /api/v1, single sign-on, one refresh', async () => {
      const { tokens, claims } = signedIn;
      assert.equal((await client.tokenIntrospection(ticketing.config, tokens.access_token)).active, true);
      assert.equal((await client.tokenIntrospection(ticketing.config, handedOut['refresh token'] as string)).active, true);
      assert.equal((await client.tokenIntrospection(ticketing.config, moduleToken)).active, true, "the module's own client credentials token");
      const userinfo = await client.fetchUserInfo(ticketing.config, tokens.access_token, claims.sub);
      assert.equal(userinfo.sub, claims.sub);
      const listed = await callApi(server, `/api/v1/companies/${apiCompanyId}/users`, apiToken);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));

      // The browser's provider session is found by its cookie: the next sign-in keeps it
      // (one not found would be replaced by a new one, under a new cookie).
      const again = await signInToModule(ticketing.config, root.agent);
      assert.equal(again.claims.sub, claims.sub);
      assert.equal(root.agent.cookies.get(PROVIDER_SESSION_COOKIE), handedOut['provider session cookie'], 'the provider session was found');

      const refreshed = await client.refreshTokenGrant(ticketing.config, handedOut['refresh token'] as string);
      assert.ok(refreshed.access_token && refreshed.refresh_token);
      assert.equal((await client.tokenIntrospection(ticketing.config, handedOut['refresh token'] as string)).active, false, 'the refresh token was spent');
      assert.equal((await client.fetchUserInfo(ticketing.config, refreshed.access_token, claims.sub)).sub, claims.sub);
      assertNoneStored(await rows(), {
        'second code': again.callback.searchParams.get('code') ?? assert.fail('a code came back'),
        'second access token': again.tokens.access_token,
        'refreshed access token': refreshed.access_token,
        'refreshed refresh token': refreshed.refresh_token as string,
      });
    });

    test('a row id read from the database is no Bearer token and no refresh token', async () => {
      const stored = await rows();
      const idsOf = (...models: string[]) => stored.filter((row) => models.includes(row.model)).map((row) => row.id);
      const bearers = idsOf('AccessToken', 'ClientCredentials');
      assert.ok(bearers.length > 0);
      for (const id of bearers) {
        const answer = await callApi(server, `/api/v1/companies/${apiCompanyId}/users`, id);
        assert.equal(answer.status, 401, `a stored id is a live API token: ${answer.status} ${JSON.stringify(answer.body)}`);
        await assert.rejects(client.fetchUserInfo(ticketing.config, id, signedIn.claims.sub), (error: any) => {
          assert.equal(error.status ?? error.response?.status, 401, String(error));
          return true;
        });
        assert.equal((await client.tokenIntrospection(ticketing.config, id)).active, false);
      }
      const refreshTokens = idsOf('RefreshToken');
      assert.ok(refreshTokens.length > 0);
      for (const id of refreshTokens) {
        await assert.rejects(client.refreshTokenGrant(ticketing.config, id), (error: any) => {
          assert.equal(error.error, 'invalid_grant', String(error));
          return true;
        });
      }
    });
  });
}
