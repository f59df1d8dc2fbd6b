// An OpenID Connect provider that answers with whatever ID token a test forges: discovery,
// JWKS and a token endpoint over real HTTP on this machine, signing with node:crypto. For
// what a well-behaved provider (test/helpers/oidc-idp.ts) never sends: a wrong issuer or
// audience, another request's nonce, an expired token, a stranger's signature, alg "none".
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SignedInCompany } from './company-admin.ts';
import type { TestServer } from './server.ts';

/** What to change in the next ID token: claims to set (undefined: leave out), the signer; and what userinfo answers for it. */
export interface Forgery {
  claims?: Record<string, unknown>;
  signer?: 'provider' | 'stranger' | 'none';
  /** Claims the userinfo endpoint adds for this sign-in's access token (userinfo is a plain JSON answer). */
  userinfo?: Record<string, unknown>;
}

export interface ForgingOidcIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The issuer the discovery document names (by default the issuer URL itself). */
  discoveryIssuer: string;
  /** The ID token the token endpoint gives for the next code. */
  forgeNext(forgery: Forgery): void;
  /** What the provider sends the browser back to after the authorization URL: the callback address. */
  authorize(authorizationUrl: string): string;
  /** Every request its token endpoint received: the client's Authorization header and the form it posted. */
  tokenRequests: Array<{ authorization: string | undefined; form: URLSearchParams }>;
  close(): Promise<void>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(claims: Record<string, unknown>, signer: Forgery['signer'], keys: { provider: KeyObject; stranger: KeyObject }): string {
  if (signer === 'none') return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
  const body = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'provider-key' })}.${b64(claims)}`;
  const signature = createSign('RSA-SHA256').update(body).sign(signer === 'stranger' ? keys.stranger : keys.provider);
  return `${body}.${signature.toString('base64url')}`;
}

export async function startForgingOidcIdp(username = 'forged'): Promise<ForgingOidcIdp> {
  const provider = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const codes = new Map<string, { nonce: string; forgery: Forgery }>();
  const userinfoOf = new Map<string, Record<string, unknown>>();
  let next: Forgery = {};
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', idp.issuer);
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: idp.discoveryIssuer,
        authorization_endpoint: `${idp.issuer}/authorize`,
        token_endpoint: `${idp.issuer}/token`,
        jwks_uri: `${idp.issuer}/jwks`,
        userinfo_endpoint: `${idp.issuer}/userinfo`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [{ ...provider.publicKey.export({ format: 'jwk' }), kid: 'provider-key', alg: 'RS256', use: 'sig' }] });
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        idp.tokenRequests.push({ authorization: req.headers.authorization, form });
        const code = form.get('code') ?? '';
        const issued = codes.get(code);
        codes.delete(code);
        if (!issued) return json(400, { error: 'invalid_grant' });
        const now = Math.floor(Date.now() / 1000);
        const claims: Record<string, unknown> = { iss: idp.issuer, aud: idp.clientId, sub: `sub-${username}`, iat: now, exp: now + 300, nonce: issued.nonce, preferred_username: username };
        for (const [name, value] of Object.entries(issued.forgery.claims ?? {})) {
          if (value === undefined) delete claims[name];
          else claims[name] = value;
        }
        const idToken = jwt(claims, issued.forgery.signer ?? 'provider', { provider: provider.privateKey, stranger: stranger.privateKey });
        const accessToken = randomUUID();
        userinfoOf.set(accessToken, { sub: claims.sub, ...issued.forgery.userinfo });
        return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: idToken });
      });
      return undefined;
    }
    if (url.pathname === '/userinfo') {
      const claims = userinfoOf.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      return claims ? json(200, claims) : json(401, { error: 'invalid_token' });
    }
    return json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp: ForgingOidcIdp = {
    issuer,
    clientId: 'gatehouse-forged',
    clientSecret: 'a-long-random-client-secret-for-the-forging-provider',
    discoveryIssuer: issuer,
    tokenRequests: [],
    forgeNext(forgery) {
      next = forgery;
    },
    authorize(authorizationUrl) {
      const request = new URL(authorizationUrl);
      const code = randomUUID();
      codes.set(code, { nonce: request.searchParams.get('nonce') ?? '', forgery: next });
      next = {};
      const back = new URL(request.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', request.searchParams.get('state') ?? '');
      return back.toString();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return idp;
}

/**
 * The forging provider added to `company` as an OpenID Connect provider (username from
 * preferred_username), the Root Master kept as break-glass, tried with a Test Sign-In and
 * switched on: sign-ins through it are the company's from here.
 */
export async function switchedOnForgingProvider(
  server: TestServer,
  company: SignedInCompany,
  options: { trustProviderMfa: boolean; groupsAttribute?: string },
  /** A provider started by the caller (its issuer set to a front of its own, say); else a new one. */
  started?: ForgingOidcIdp,
): Promise<{ idp: ForgingOidcIdp; providerId: string }> {
  const idp = started ?? (await startForgingOidcIdp());
  // Closed again when a step fails, or its open server keeps the test file from ending.
  try {
    const root = company.root.agent;
    const added = await root.post('/api/company/sso/providers', {
      kind: 'oidc', name: 'Acme OIDC', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, usernameAttribute: 'preferred_username', ...options,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id as string;
    assert.equal((await root.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
    const tested = await root.post(`/api/company/sso/providers/${providerId}/test`);
    idp.forgeNext({ claims: { preferred_username: 'tester', email: 'tester@forging.test', email_verified: true } });
    await root.get(idp.authorize(tested.body.redirectTo).slice(server.baseUrl.length));
    assert.equal((await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
    return { idp, providerId };
  } catch (error) {
    await idp.close();
    throw error;
  }
}

/** A fresh browser sent from the login page to the company's provider, which answers with `claims`: the browser, and where it landed. */
export async function answeredByForgingProvider(server: TestServer, company: SignedInCompany, idp: ForgingOidcIdp, claims: Forgery['claims']) {
  server.clock.advance(1_000);
  const browser = server.agent();
  assert.equal((await browser.post('/api/login/identify', { username: 'someone', companyName: company.companyName })).body.step, 'sso');
  const started = await browser.post('/api/login/sso/start');
  assert.equal(started.status, 200, JSON.stringify(started.body));
  idp.forgeNext({ claims });
  const landed = await browser.get(idp.authorize(started.body.redirectTo).slice(server.baseUrl.length));
  return { browser, location: landed.headers.get('location') };
}
