// PKCE with S256 is required of every module: without a challenge, or with `plain`, the
// provider refuses the request; at the token endpoint a wrong verifier gets no tokens.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signedInOperator } from '../helpers/journey.ts';
import {
  client,
  companyWithRootMaster,
  followRedirects,
  grantedModule,
  redeem,
  REDIRECT_URI,
  startAuthorization,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let user: Person;
let confidential: Awaited<ReturnType<typeof grantedModule>>;
let publicModule: Awaited<ReturnType<typeof grantedModule>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  const operator = await signedInOperator(server);
  user = await companyWithRootMaster(server, operator.agent);
  confidential = await grantedModule(server, operator.agent, user.companyId, { name: 'Ticketing' });
  publicModule = await grantedModule(server, operator.agent, user.companyId, { name: 'Field App', clientType: 'public' });
});
after(() => server.close());

/** The authorization request as the module built it, minus some parameters. */
function without(url: URL, ...names: string[]): URL {
  const copy = new URL(url);
  for (const name of names) copy.searchParams.delete(name);
  return copy;
}

function assertRefusedToModule(walk: Awaited<ReturnType<typeof followRedirects>>, state: string) {
  assert.ok(walk.callback, `the module hears about the refusal (ended at ${walk.at} with ${walk.final?.status})`);
  assert.equal(walk.callback.origin + walk.callback.pathname, REDIRECT_URI);
  assert.equal(walk.callback.searchParams.get('error'), 'invalid_request');
  assert.match(walk.callback.searchParams.get('error_description') ?? '', /PKCE|code_challenge/);
  assert.equal(walk.callback.searchParams.get('code'), null, 'no code without PKCE');
  assert.equal(walk.callback.searchParams.get('state'), state);
}

for (const kind of ['confidential', 'public'] as const) {
  test(`a ${kind} module asking without code_challenge is refused`, async () => {
    const { config } = kind === 'public' ? publicModule : confidential;
    const start = await startAuthorization(config);
    const walk = await followRedirects(user.agent, without(start.url, 'code_challenge', 'code_challenge_method'));
    assertRefusedToModule(walk, start.state);
  });
}

test('code_challenge_method=plain is refused, with or without a matching challenge', async () => {
  for (const module of [publicModule, confidential]) {
    const start = await startAuthorization(module.config);
    const plain = new URL(start.url);
    plain.searchParams.set('code_challenge', start.verifier);
    plain.searchParams.set('code_challenge_method', 'plain');
    assertRefusedToModule(await followRedirects(user.agent, plain), start.state);

    const unnamed = without(start.url, 'code_challenge_method');
    unnamed.searchParams.set('code_challenge', start.verifier);
    const walk = await followRedirects(user.agent, unnamed);
    // Without a method the challenge would be "plain": refused too, never a code.
    assert.ok(walk.callback);
    assert.equal(walk.callback.searchParams.get('code'), null);
    assert.equal(walk.callback.searchParams.get('error'), 'invalid_request');
  }
});

test('a wrong or missing code_verifier at the token endpoint gets invalid_grant', async () => {
  for (const module of [publicModule, confidential]) {
    const start = await startAuthorization(module.config);
    const walk = await followRedirects(user.agent, start.url);
    assert.ok(walk.callback && walk.callback.searchParams.get('code'));

    const wrong = { ...start, verifier: client.randomPKCECodeVerifier() };
    await assert.rejects(redeem(module.config, walk.callback, wrong), (error: any) => {
      assert.equal(error.error, 'invalid_grant');
      return true;
    });
    // The raw token request without any verifier: refused the same way.
    const metadata = module.config.serverMetadata();
    const clientId = module.module.clientId;
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: walk.callback.searchParams.get('code') as string,
      redirect_uri: REDIRECT_URI,
      client_id: clientId,
    });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (module.clientSecret) headers.authorization = `Basic ${Buffer.from(`${clientId}:${module.clientSecret}`).toString('base64')}`;
    const answer = await fetch(metadata.token_endpoint as string, { method: 'POST', headers, body });
    assert.equal(answer.status, 400);
    const refused = (await answer.json()) as { error: string; access_token?: string };
    assert.equal(refused.error, 'invalid_grant');
    assert.equal(refused.access_token, undefined);
  }
});
