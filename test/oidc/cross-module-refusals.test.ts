// What one module (Billing) gets when it tries to use another's (Ticketing's) codes,
// tokens and pushed requests, and what a module gets for parameters Gatehouse does not
// support: a refusal every time. Both modules are granted to the signed-in user's
// company, so module access lets both through and only the guard named at each test stands
// in the way. Codes, refresh tokens and pushed requests are stored records, so both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import {
  client,
  companyWithRootMaster,
  followRedirects,
  grantedModule,
  POST_LOGOUT_URI,
  redeem,
  REDIRECT_URI,
  signInToModule,
  startAuthorization,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** What a browser sends when it navigates: the provider answers errors as a page then. */
const NAVIGATION = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

const oauthError = (expected: string) => (error: any) => {
  assert.equal(error.error, expected, String(error));
  return true;
};

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Asked at the authorization endpoint, refused with this error at the module's redirect URI
 * (the request names a registered one), and no code.
 */
const REFUSED_AT_AUTHORIZATION: [string, Record<string, string>, string][] = [
  // Guard: resource indicators with oidc-provider's default getResourceServerInfo, which
  // knows no resource server (Gatehouse configures none).
  ['resource=https://evil.test/', { resource: 'https://evil.test/' }, 'invalid_target'],
  // Guard: JWT response modes (JARM) left off (features.jwtResponseModes).
  ['response_mode=query.jwt', { response_mode: 'query.jwt' }, 'unsupported_response_mode'],
  // Guard: request objects left off (features.requestObjects); an unsigned one naming
  // another redirect URI is not read at all.
  ['an unsigned request object', { request: `${base64url({ alg: 'none' })}.${base64url({ redirect_uri: 'https://evil.test/' })}.` }, 'request_not_supported'],
  // Guard: oidc-provider's checkMaxAge, the only place these values are refused; past it
  // the login checks (Gatehouse's own max_age check in provider.ts too) read them as numbers.
  ['max_age=-1', { max_age: '-1' }, 'invalid_request'],
  ['max_age=abc', { max_age: 'abc' }, 'invalid_request'],
];

for (const engine of await enginesUnderTest()) {
  describe(`one module against another's codes and tokens, unsupported parameters (${engine})`, () => {
    let server: TestServer;
    let root: Person;
    let ticketing: Awaited<ReturnType<typeof grantedModule>>;
    let billing: Awaited<ReturnType<typeof grantedModule>>;

    before(async () => {
      server = await startTestServer({ realClock: true, engine });
      const operator = await signedInOperator(server);
      root = await companyWithRootMaster(server, operator.agent);
      ticketing = await grantedModule(server, operator.agent, root.companyId, { name: 'Ticketing' });
      billing = await grantedModule(server, operator.agent, root.companyId, { name: 'Billing' });
    });
    after(() => server.close());

    /** A code issued to Ticketing for the signed-in Root Master. */
    async function ticketingCode() {
      const start = await startAuthorization(ticketing.config);
      const walk = await followRedirects(root.agent, start.url);
      assert.ok(walk.callback && walk.callback.searchParams.get('code'), `a code (ended at ${walk.at})`);
      return { start, callback: walk.callback };
    }

    /** Ticketing's sign-in pushed with its secret (PAR): the request_uri the browser would carry. */
    async function ticketingPushed() {
      const start = await startAuthorization(ticketing.config);
      const url = await client.buildAuthorizationUrlWithPAR(ticketing.config, start.url.searchParams);
      const requestUri = url.searchParams.get('request_uri');
      assert.ok(requestUri);
      return { start, requestUri };
    }

    const authorize = (clientId: string, requestUri: string, extra: Record<string, string> = {}) =>
      followRedirects(root.agent, `/oidc/auth?${new URLSearchParams({ client_id: clientId, request_uri: requestUri, ...extra })}`);

    /** A form POST to one of the provider's endpoints, as a module's server sends it. */
    async function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
      const answer = await fetch(new URL(path, server.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(form),
      });
      return { status: answer.status, body: (await answer.json()) as { error?: string; access_token?: string; request_uri?: string } };
    }

    test("Billing redeeming Ticketing's code with its own secret: invalid_grant, and the code stays Ticketing's to redeem", async () => {
      // Guard: oidc-provider's client checks on the code and on its grant (findGrantSource and
      // validateGrant, "client mismatch"); the user may use Billing too, so nothing else refuses.
      const { start, callback } = await ticketingCode();
      await assert.rejects(redeem(billing.config, callback, start), oauthError('invalid_grant'));
      // The client is checked before the code is consumed: Billing's attempt neither spends
      // the code nor ends its grant.
      const tokens = await redeem(ticketing.config, callback, start);
      assert.ok(tokens.access_token);
      assert.equal((await client.tokenIntrospection(ticketing.config, tokens.access_token)).active, true);
    });

    test("Billing using Ticketing's refresh token: invalid_grant, and Ticketing's still refreshes", async () => {
      // Guard: oidc-provider's client checks on the refresh token and on its grant
      // (refresh_token grant and validateGrant, "client mismatch").
      const { tokens } = await signInToModule(ticketing.config, root.agent);
      const refreshToken = tokens.refresh_token as string;
      await assert.rejects(client.refreshTokenGrant(billing.config, refreshToken), oauthError('invalid_grant'));
      assert.ok((await client.refreshTokenGrant(ticketing.config, refreshToken)).access_token);
    });

    test('a refresh asking for more scope than was granted: invalid_scope', async () => {
      // Guard: oidc-provider's refresh_token grant refuses scopes the refresh token lacks
      // ("refresh token missing requested scopes").
      const { tokens } = await signInToModule(ticketing.config, root.agent, { scope: 'openid' });
      await assert.rejects(client.refreshTokenGrant(ticketing.config, tokens.refresh_token as string, { scope: 'openid email company' }), oauthError('invalid_scope'));
    });

    test('a confidential module sending only its client_id, at the token endpoint and to PAR: invalid_client (401)', async () => {
      // Guard: a confidential module's token_endpoint_auth_method is client_secret_basic
      // (clients.ts), so the provider wants its secret at both endpoints; "none" is for
      // public modules only. Without it the code below would be redeemed, the request pushed.
      const { start, callback } = await ticketingCode();
      const redeemed = await post('/oidc/token', {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') as string,
        redirect_uri: REDIRECT_URI,
        code_verifier: start.verifier,
        client_id: ticketing.module.clientId,
      });
      assert.equal(redeemed.status, 401);
      assert.equal(redeemed.body.error, 'invalid_client');
      assert.equal(redeemed.body.access_token, undefined);

      const pushed = await post('/oidc/request', Object.fromEntries((await startAuthorization(ticketing.config)).url.searchParams));
      assert.equal(pushed.status, 401);
      assert.equal(pushed.body.error, 'invalid_client');
      assert.equal(pushed.body.request_uri, undefined);
    });

    test("Ticketing's request_uri used at the authorization endpoint with Billing's client_id: refused, no code", async () => {
      // Guard: oidc-provider's client_id checks on the request object (processRequestObject,
      // "request client_id must equal the one in request parameters"); without them Billing
      // would get a code for Ticketing's pushed parameters (both register the same redirect URI).
      const { requestUri } = await ticketingPushed();
      const walk = await authorize(billing.module.clientId, requestUri);
      assert.ok(walk.callback, `ended at ${walk.at} with ${walk.final?.status}`);
      assert.equal(walk.callback.searchParams.get('error'), 'invalid_request_object');
      assert.equal(walk.callback.searchParams.get('code'), null);
    });

    test('a request_uri used twice: the second use gets invalid_request_uri, no code', async () => {
      // Guard: a pushed request is consumed by the response that uses it (oidc-provider's
      // respond, and isValid when it is loaded).
      const { requestUri } = await ticketingPushed();
      const first = await authorize(ticketing.module.clientId, requestUri);
      assert.ok(first.callback?.searchParams.get('code'), `a code the first time (ended at ${first.at})`);
      const second = await authorize(ticketing.module.clientId, requestUri);
      assert.ok(second.callback, `ended at ${second.at} with ${second.final?.status}`);
      assert.equal(second.callback.searchParams.get('error'), 'invalid_request_uri');
      assert.equal(second.callback.searchParams.get('code'), null);
    });

    test('a redirect_uri beside a request_uri does not change where the code goes', async () => {
      // Guard: with a request_uri only the pushed parameters count; the rest of the query
      // is dropped (oidc-provider's processRequestObject).
      const { start, requestUri } = await ticketingPushed();
      const walk = await authorize(ticketing.module.clientId, requestUri, { redirect_uri: 'https://evil.test/' });
      assert.ok(walk.callback, `the code went to the registered URI, not elsewhere (ended at ${walk.at} with ${walk.final?.status})`);
      assert.equal(`${walk.callback.origin}${walk.callback.pathname}`, REDIRECT_URI);
      assert.equal(walk.callback.searchParams.get('state'), start.state);
      assert.ok((await redeem(ticketing.config, walk.callback, start)).access_token, 'a code for the pushed redirect URI');
    });

    for (const [what, extra, error] of REFUSED_AT_AUTHORIZATION) {
      test(`${what}: ${error}, no code`, async () => {
        const start = await startAuthorization(ticketing.config, extra);
        const walk = await followRedirects(root.agent, start.url);
        assert.ok(walk.callback, `ended at ${walk.at} with ${walk.final?.status}`);
        assert.equal(walk.callback.searchParams.get('error'), error);
        assert.equal(walk.callback.searchParams.get('code'), null);
      });
    }

    test("end_session with Ticketing's id_token_hint and Billing's client_id: a 400 page, no logout form, no redirect", async () => {
      // Guard: oidc-provider's end_session checks client_id against the hint's audience.
      // Without it the browser would get the logout confirmation page (200).
      const { tokens } = await signInToModule(ticketing.config, root.agent);
      const query = new URLSearchParams({ id_token_hint: tokens.id_token as string, client_id: billing.module.clientId, post_logout_redirect_uri: POST_LOGOUT_URI });
      const answer = await root.agent.get(`/oidc/session/end?${query}`, NAVIGATION);
      assert.equal(answer.status, 400);
      assert.equal(answer.headers.get('location'), null);
      assert.ok(!String(answer.body).includes('logoutForm'), 'no logout confirmation');
      assert.match(String(answer.body), /client_id does not match/);
    });
  });
}
