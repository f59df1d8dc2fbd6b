// DPoP (RFC 9449), which discovery advertises (`dpop_signing_alg_values_supported`), with
// a client no one here wrote (openid-client's DPoP handle): a module that proves a key gets
// tokens bound to it, usable only with a fresh proof by that key. A proof is single use:
// oidc-provider remembers each proof's jti, and the same proof sent again, one after the
// other or many at once, is refused every time but the first (the remembering is one
// atomic insert: src/modules/oidc/replay-detection.ts), at userinfo and at the token
// endpoint. Both databases.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { client, companyWithRootMaster, followRedirects, grantedModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

type Module = Awaited<ReturnType<typeof grantedModule>>;

/** A module's sign-in with its DPoP key: the tokens the code exchange gives. */
async function signInWithKey(module: Module, root: Person, DPoP: client.DPoPHandle) {
  const start = await startAuthorization(module.config, { scope: 'openid profile offline_access' });
  const { callback } = await followRedirects(root.agent, start.url);
  assert.ok(callback, 'back at the module with a code');
  return client.authorizationCodeGrant(module.config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }, undefined, { DPoP });
}

/** One DPoP proof, made by hand so that the same proof can be sent more than once; with the access token it goes with, if any. */
async function proofFor(key: ReturnType<typeof generateKeyPairSync>, method: string, url: string, accessToken?: string) {
  const jwk = await exportJWK(key.publicKey);
  const ath = accessToken === undefined ? undefined : Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))).toString('base64url');
  return new SignJWT({ htm: method, htu: url, ...(ath ? { ath } : {}) })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
    .setIssuedAt()
    .setJti(randomUUID())
    .sign(key.privateKey);
}

for (const engine of await enginesUnderTest()) {
  describe(`DPoP-bound tokens (${engine})`, () => {
    let server: TestServer;
    let root: Person;
    let confidential: Module;
    let publicModule: Module;

    before(async () => {
      server = await startTestServer({ realClock: true, engine });
      const operator = await signedInOperator(server);
      root = await companyWithRootMaster(server, operator.agent);
      confidential = await grantedModule(server, operator.agent, root.companyId, { name: 'Bound Desk' });
      publicModule = await grantedModule(server, operator.agent, root.companyId, { name: 'Bound App', clientType: 'public' });
    });
    after(() => server.close());

    const tokenEndpoint = () => `${server.baseUrl}/oidc/token`;
    /** A token request of the confidential module, with this DPoP proof. */
    const tokenRequest = (proof: string, form: Record<string, string>) =>
      fetch(tokenEndpoint(), {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${confidential.module.clientId}:${confidential.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          dpop: proof,
        },
        body: new URLSearchParams(form),
      });

    test('the tokens are bound to the key: userinfo with its proof, not as a bearer token; introspection names the key', async () => {
      const keyPair = await client.randomDPoPKeyPair('ES256');
      const tokens = await signInWithKey(confidential, root, client.getDPoPHandle(confidential.config, keyPair));
      assert.equal(tokens.token_type, 'dpop');
      const sub = tokens.claims()?.sub as string;
      const userinfo = await client.fetchUserInfo(confidential.config, tokens.access_token, sub, { DPoP: client.getDPoPHandle(confidential.config, keyPair) });
      assert.equal(userinfo.sub, sub);
      const me = `${server.baseUrl}/oidc/me`;
      assert.equal((await fetch(me, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 401, 'not usable as a bearer token');
      assert.equal((await fetch(me, { headers: { authorization: `DPoP ${tokens.access_token}` } })).status, 400, 'not usable without a proof');
      const introspected = await client.tokenIntrospection(confidential.config, tokens.access_token);
      assert.equal(introspected.active, true);
      assert.deepEqual(introspected.cnf, { jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)) });
    });

    test("a public module's refresh token is bound to the key too: another key cannot refresh it", async () => {
      const keyPair = await client.randomDPoPKeyPair('ES256');
      const tokens = await signInWithKey(publicModule, root, client.getDPoPHandle(publicModule.config, keyPair));
      assert.ok(tokens.refresh_token);
      const stranger = client.getDPoPHandle(publicModule.config, await client.randomDPoPKeyPair('ES256'));
      await assert.rejects(client.refreshTokenGrant(publicModule.config, tokens.refresh_token, undefined, { DPoP: stranger }), (error: { error?: string }) => error.error === 'invalid_grant');
      const refreshed = await client.refreshTokenGrant(publicModule.config, tokens.refresh_token, undefined, { DPoP: client.getDPoPHandle(publicModule.config, keyPair) });
      assert.equal(refreshed.token_type, 'dpop');
    });

    test('a proof is taken once: sent again it is refused, and of many copies sent at once exactly one is taken', async () => {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const start = await startAuthorization(confidential.config, { scope: 'openid' });
      const { callback } = await followRedirects(root.agent, start.url);
      assert.ok(callback);
      // The code exchange with a proof by this key, made by hand too.
      const exchange = await tokenRequest(await proofFor(key, 'POST', tokenEndpoint()), {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') as string,
        redirect_uri: `${callback.origin}${callback.pathname}`,
        code_verifier: start.verifier,
      });
      assert.equal(exchange.status, 200, await exchange.clone().text());
      const { access_token: accessToken } = (await exchange.json()) as { access_token: string };
      const me = `${server.baseUrl}/oidc/me`;
      const useProof = (proof: string) => fetch(me, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } }).then((answer) => answer.status);

      const once = await proofFor(key, 'GET', me, accessToken);
      assert.equal(await useProof(once), 200);
      assert.equal(await useProof(once), 401, 'the same proof again');

      for (let round = 0; round < 3; round++) {
        const proof = await proofFor(key, 'GET', me, accessToken);
        const statuses = await Promise.all(Array.from({ length: 12 }, () => useProof(proof)));
        assert.deepEqual(
          statuses.filter((status) => status === 200),
          [200],
          `one copy taken, the rest refused (${statuses.join(', ')})`,
        );
        assert.ok(statuses.every((status) => status === 200 || status === 401), statuses.join(', '));
      }
    });

    test('at the token endpoint too: of many copies of one proof sent with a client credentials request at once, exactly one gets a token', async () => {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      // The module's client credentials are remembered after the first request (remembered-modules.ts): both paths.
      for (let round = 0; round < 2; round++) {
        const proof = await proofFor(key, 'POST', tokenEndpoint());
        const answers = await Promise.all(Array.from({ length: 12 }, () => tokenRequest(proof, { grant_type: 'client_credentials' })));
        const statuses = answers.map((answer) => answer.status);
        assert.deepEqual(
          statuses.filter((status) => status === 200),
          [200],
          `one copy taken, the rest refused (${statuses.join(', ')})`,
        );
        assert.ok(statuses.every((status) => status === 200 || status === 400), statuses.join(', '));
        const taken = (await answers[statuses.indexOf(200)]?.json()) as { token_type: string };
        assert.equal(taken.token_type, 'DPoP');
      }
    });
  });
}
