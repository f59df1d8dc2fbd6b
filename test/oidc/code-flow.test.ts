// "Log In with Gatehouse" as a module sees it: discovery, the code flow with PKCE for a
// confidential and a public module, what the ID token and userinfo say about the user.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  client,
  companyUser,
  companyWithRootMaster,
  discover,
  grantedModule,
  jwtParts,
  logInAgain,
  publishedKeys,
  signInToModule,
  verifiesWithJwks,
  type Person,
} from '../helpers/oidc.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let acme: Person;
let confidential: Awaited<ReturnType<typeof grantedModule>>;
let publicModule: Awaited<ReturnType<typeof grantedModule>>;
let operator: Awaited<ReturnType<typeof signedInOperator>>;

before(async () => {
  server = await startTestServer({ realClock: true });
  operator = await signedInOperator(server);
  acme = await companyWithRootMaster(server, operator.agent, 'Acme Managed IT');
  confidential = await grantedModule(server, operator.agent, acme.companyId, { name: 'Ticketing' });
  publicModule = await grantedModule(server, operator.agent, acme.companyId, { name: 'Field App', clientType: 'public' });
});
after(() => server.close());

test('discovery describes the provider at /oidc and its keys at jwks_uri', async () => {
  const answer = await server.agent().get('/oidc/.well-known/openid-configuration');
  assert.equal(answer.status, 200);
  const metadata = answer.body;
  assert.equal(metadata.issuer, `${server.baseUrl}/oidc`);
  assert.equal(metadata.authorization_endpoint, `${server.baseUrl}/oidc/auth`);
  assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  assert.ok(metadata.id_token_signing_alg_values_supported.includes('RS256'));
  assert.ok(metadata.scopes_supported.includes('company'));
  for (const claim of ['sub', 'company', 'preferred_username', 'email', 'amr', 'acr', 'auth_time']) {
    assert.ok(metadata.claims_supported.includes(claim), `claims_supported lists ${claim}`);
  }
  assert.equal(metadata.end_session_endpoint, `${server.baseUrl}/oidc/session/end`);
  assert.ok(metadata.introspection_endpoint && metadata.revocation_endpoint && metadata.userinfo_endpoint);

  const keys = await publishedKeys(confidential.config);
  assert.ok(keys.some((key) => key.kty === 'RSA' && key.alg === 'RS256' && key.use === 'sig' && key.kid));
  for (const key of keys) {
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
      assert.equal((key as Record<string, unknown>)[secret], undefined, `the JWKS never publishes ${secret}`);
    }
  }
});

test('a confidential module gets an RS256 ID token with who, which company and how they logged in', async () => {
  const me = await acme.agent.get('/api/me');
  assert.equal(me.status, 200);
  const signIn = await signInToModule(confidential.config, acme.agent);
  const { claims, tokens } = signIn;

  const idToken = tokens.id_token;
  assert.ok(idToken);
  assert.equal(jwtParts(idToken).header.alg, 'RS256');
  assert.ok(await verifiesWithJwks(confidential.config, idToken), 'the ID token verifies with a published key');

  assert.equal(claims.iss, `${server.baseUrl}/oidc`);
  assert.equal(claims.aud, confidential.module.clientId);
  assert.equal(claims.nonce, signIn.start.nonce);
  assert.equal(claims.preferred_username, acme.username);
  assert.equal(claims.email, me.body.user.email);
  assert.deepEqual(claims.company, { id: acme.companyId, name: 'Acme Managed IT' });
  assert.ok(Array.isArray(claims.amr) && claims.amr.includes('pwd') && claims.amr.includes('otp'), `amr ${claims.amr}`);
  assert.equal(claims.acr, 'urn:gatehouse:loa:2fa');
  assert.equal(claims.auth_time, Math.floor(Date.parse(me.body.session.authTime) / 1000));
  assert.ok(tokens.refresh_token, 'a refresh token for the module');
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');

  const userinfo = await client.fetchUserInfo(confidential.config, tokens.access_token, claims.sub);
  assert.equal(userinfo.sub, claims.sub);
  assert.equal(userinfo.preferred_username, acme.username);
  assert.equal(userinfo.email, me.body.user.email);
  assert.equal(userinfo.name, me.body.user.displayName);
  assert.deepEqual(userinfo.company, { id: acme.companyId, name: 'Acme Managed IT' });
});

test('a public module signs in with PKCE and no secret, and sees the same sub', async () => {
  assert.equal(publicModule.clientSecret, null, 'a public module has no secret to keep');
  const viaConfidential = await signInToModule(confidential.config, acme.agent);
  const viaPublic = await signInToModule(publicModule.config, acme.agent);
  assert.equal(viaPublic.claims.aud, publicModule.module.clientId);
  assert.equal(viaPublic.claims.sub, viaConfidential.claims.sub);
  assert.deepEqual(viaPublic.claims.company, { id: acme.companyId, name: 'Acme Managed IT' });
  assert.ok(viaPublic.tokens.access_token);

  // Without a secret the token endpoint takes the code only with the PKCE verifier,
  // which the openid-client call above sent; discovery as a public client still works.
  const rediscovered = await discover(server, publicModule.module.clientId, null);
  assert.equal(rediscovered.clientMetadata().client_id, publicModule.module.clientId);
});

test('a module may ask for ES256 ID tokens; they verify against the published EC key', async () => {
  const es256 = await grantedModule(server, operator.agent, acme.companyId, { name: 'Elliptic', idTokenAlg: 'ES256' });
  const { tokens } = await signInToModule(es256.config, acme.agent);
  const idToken = tokens.id_token as string;
  assert.equal(jwtParts(idToken).header.alg, 'ES256');
  assert.equal(await verifiesWithJwks(es256.config, idToken), true);
  const listed = await operator.agent.get('/api/operator/modules');
  assert.equal(listed.body.modules.find((m: any) => m.name === 'Elliptic').idTokenAlg, 'ES256');
  const refused = await operator.agent.post('/api/operator/modules', {
    name: 'Weak', launchUrl: 'https://weak.test/', redirectUris: ['https://weak.test/cb'], clientType: 'public', idTokenAlg: 'HS256',
  });
  assert.equal(refused.status, 400);
  assert.ok(refused.body.error.fields.idTokenAlg);
});

test('sub is stable across logins and unique per user', async () => {
  const first = await signInToModule(confidential.config, acme.agent);

  const otherBrowser = server.agent();
  await logInAgain(server, otherBrowser, acme);
  const again = await signInToModule(confidential.config, otherBrowser);
  assert.equal(again.claims.sub, first.claims.sub, 'the same user has the same sub after a new login');

  const colleague = await companyUser(server, acme, 'jordan');
  const theirs = await signInToModule(confidential.config, colleague.agent);
  assert.notEqual(theirs.claims.sub, first.claims.sub);
  assert.equal(theirs.claims.preferred_username, 'jordan');
  assert.deepEqual(theirs.claims.company, first.claims.company);

  // The same username in another company is another person with another sub.
  const globex = await companyWithRootMaster(server, operator.agent, 'Globex Services');
  const namesake = await companyUser(server, globex, 'jordan');
  const globexModule = await grantedModule(server, operator.agent, globex.companyId, { name: 'Ticketing for Globex' });
  const namesakes = await signInToModule(globexModule.config, namesake.agent);
  assert.equal(namesakes.claims.preferred_username, 'jordan');
  assert.notEqual(namesakes.claims.sub, theirs.claims.sub);
  assert.deepEqual(namesakes.claims.company, { id: globex.companyId, name: 'Globex Services' });
});
