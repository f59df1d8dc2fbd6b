// Drives "Log In with Gatehouse" the way a module does, with a certified client library
// (openid-client), and walks the browser's redirects with a cookie-keeping agent.
import assert from 'node:assert/strict';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as client from 'openid-client';
import { registerModule } from '../../src/modules/index.ts';
import { createUser, issueSignupLink, type Role } from '../../src/users/index.ts';
import type { Agent } from './agent.ts';
import { approvedCompany, logIn, signedInOperator, signUp, STRONG_PASSWORD } from './journey.ts';
import type { TestServer } from './server.ts';
import { totpAt } from './totp.ts';

export const REDIRECT_URI = 'http://127.0.0.1:4999/callback';
export const POST_LOGOUT_URI = 'http://127.0.0.1:4999/bye';

/** The module most tests register: a confidential "Ticketing" at 127.0.0.1:4999. */
export const TEST_MODULE = {
  name: 'Ticketing',
  description: 'Service desk',
  launchUrl: 'http://127.0.0.1:4999/',
  redirectUris: [REDIRECT_URI],
  postLogoutRedirectUris: [] as string[],
  clientType: 'confidential' as const,
};

/** The test module stored through the capability, for tests with no operator signed in. */
export function storedTestModule(server: TestServer) {
  const { deps } = server.gatehouse;
  return registerModule(deps.db, deps.deriveKey('client-secrets'), TEST_MODULE, deps.clock());
}

export async function registerTestModule(
  operator: Agent,
  overrides: Partial<{
    clientType: 'confidential' | 'public';
    redirectUris: string[];
    name: string;
    backchannelLogoutUri: string;
    idTokenAlg: 'RS256' | 'ES256';
  }> = {},
) {
  const answer = await operator.post('/api/operator/modules', {
    ...TEST_MODULE,
    name: overrides.name ?? TEST_MODULE.name,
    redirectUris: overrides.redirectUris ?? TEST_MODULE.redirectUris,
    postLogoutRedirectUris: [POST_LOGOUT_URI],
    clientType: overrides.clientType ?? TEST_MODULE.clientType,
    ...(overrides.backchannelLogoutUri ? { backchannelLogoutUri: overrides.backchannelLogoutUri } : {}),
    ...(overrides.idTokenAlg ? { idTokenAlg: overrides.idTokenAlg } : {}),
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body as { module: { id: string; clientId: string }; clientSecret: string | null };
}

export async function discover(server: TestServer, clientId: string, clientSecret: string | null) {
  const issuer = new URL('/oidc', server.baseUrl);
  return client.discovery(
    issuer,
    clientId,
    clientSecret ? { client_secret: clientSecret } : undefined,
    clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(),
    { execute: [client.allowInsecureRequests] },
  );
}

export interface AuthorizationStart {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(
  config: client.Configuration,
  extra: Record<string, string> = {},
): Promise<AuthorizationStart> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email company',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/**
 * Follows redirects like a browser until the module's redirect URI (returned) or a page
 * that is not a redirect (returned as the final response).
 */
export async function followRedirects(agent: Agent, start: URL | string, stopAt = REDIRECT_URI.split('/callback')[0] as string) {
  let next = new URL(start.toString(), agent.baseUrl);
  for (let hop = 0; hop < 15; hop++) {
    if (next.toString().startsWith(stopAt)) return { callback: next, final: undefined };
    const answer = await agent.get(next.pathname + next.search);
    const location = answer.headers.get('location');
    if (answer.status >= 300 && answer.status < 400 && location) {
      next = new URL(location, next);
      continue;
    }
    return { callback: undefined, final: answer, at: next };
  }
  throw new Error('too many redirects');
}

export async function redeem(config: client.Configuration, callback: URL, start: AuthorizationStart) {
  return client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: start.verifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
  });
}

/** Registers a module, grants it to a company, and discovers the provider as that module. */
export async function grantedModule(
  server: TestServer,
  operator: Agent,
  companyId: string,
  overrides: Parameters<typeof registerTestModule>[1] = {},
) {
  const registered = await registerTestModule(operator, overrides);
  const grant = await operator.post(`/api/operator/companies/${companyId}/modules/${registered.module.id}/grant`);
  assert.equal(grant.status, 200, JSON.stringify(grant.body));
  const config = await discover(server, registered.module.clientId, registered.clientSecret);
  return { ...registered, config };
}

/** "Log In with Gatehouse" in a browser that has a Gatehouse session: code, then tokens. */
export async function signInToModule(config: client.Configuration, browser: Agent, extra: Record<string, string> = {}) {
  const start = await startAuthorization(config, extra);
  const walk = await followRedirects(browser, start.url);
  assert.ok(walk.callback, `ended at ${walk.at} with ${walk.final?.status} ${String(walk.final?.body).slice(0, 300)}`);
  const tokens = await redeem(config, walk.callback, start);
  const claims = tokens.claims();
  assert.ok(claims, 'an ID token came back');
  return { start, callback: walk.callback, tokens, claims };
}

// TOTP codes on the wall clock: each code is accepted once and never an older one, so a
// user's next login needs a later step (±1 step of drift allowed, so at most one ahead).
const lastStep = new Map<string, number>();
const stepOf = (ms: number) => Math.floor(ms / 30_000);

/**
 * Answers the provider's logout page (RP-initiated logout) as its buttons do: `logout: 'yes'`
 * is "Log Out", no fields "Stay Logged In". The answer is the provider's redirect.
 */
export async function answerLogoutPage(agent: Agent, page: string, fields: Record<string, string>) {
  const form = /<form id="op.logoutForm" method="post" action="([^"]+)">.*?name="xsrf" value="([^"]+)"/s.exec(page);
  assert.ok(form, 'the page carries the logout form');
  return agent.request('POST', new URL(form[1] as string).pathname, new URLSearchParams({ xsrf: form[2] as string, ...fields }).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
}

export function markTotpUsed(secret: string, step = stepOf(Date.now())) {
  lastStep.set(secret, Math.max(step, lastStep.get(secret) ?? step));
}

/** A code the server has not seen yet; waits for the next step when both are used up. */
export async function nextTotpCode(secret: string): Promise<string> {
  for (;;) {
    const now = Date.now();
    const step = Math.max((lastStep.get(secret) ?? -Infinity) + 1, stepOf(now));
    if (step <= stepOf(now) + 1) {
      lastStep.set(secret, step);
      return totpAt(secret, step * 30_000);
    }
    await sleep((stepOf(now) + 1) * 30_000 - now + 50);
  }
}

export interface Person {
  agent: Agent;
  username: string;
  companyId: string;
  companyName: string;
  password: string;
  totpSecret: string;
}

/** Logs in with password and the next TOTP code; returnTo goes into the identify step. */
export async function logInAgain(server: TestServer, agent: Agent, person: Person, returnTo?: string) {
  const identified = await agent.post('/api/login/identify', {
    username: person.username,
    companyName: person.companyName,
    ...(returnTo ? { returnTo } : {}),
  });
  assert.equal(identified.status, 200, JSON.stringify(identified.body));
  const afterPassword = await agent.post('/api/login/password', { password: person.password });
  assert.equal(afterPassword.status, 200, JSON.stringify(afterPassword.body));
  assert.equal(afterPassword.body.step, 'totp');
  const done = await agent.post('/api/login/totp', { code: await nextTotpCode(person.totpSecret) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return done.body as { step: 'done'; redirectTo?: string };
}

let companies = 0;
/** A newly approved company whose Root Master has signed up and logged in (2FA enrolled). */
export async function companyWithRootMaster(server: TestServer, operator: Agent, companyName?: string): Promise<Person> {
  companies += 1;
  const name = companyName ?? `Company ${companies} ${Math.random().toString(36).slice(2, 8)}`;
  const request = {
    companyName: name,
    contactName: 'Robin Root',
    email: `root${companies}.${Date.now()}@${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.test`,
    phone: '+1 555 0100',
    note: '',
  };
  const company = await approvedCompany(server, operator, request);
  await signUp(server, company.link);
  const agent = server.agent();
  const person = { username: company.username, companyName: name, password: STRONG_PASSWORD };
  const { totpSecret } = await logIn(server, agent, person);
  markTotpUsed(totpSecret);
  return { ...person, agent, companyId: company.companyId, totpSecret };
}

/** Where most provider tests start (on a real-clock server), so each file states only what it adds: a signed-in Root Master with one module granted. */
export async function rootWithGrantedModule(server: TestServer) {
  const operator = await signedInOperator(server);
  const root = await companyWithRootMaster(server, operator.agent);
  const module = await grantedModule(server, operator.agent, root.companyId);
  return { operator, root, module };
}

/** Another user of the company: created, signed up through a link, logged in with 2FA. */
export async function companyUser(server: TestServer, company: Person, username: string, role: Role = 'user'): Promise<Person> {
  const person = await signedUpUser(server, company, username, role);
  const agent = server.agent();
  const { totpSecret } = await logIn(server, agent, person);
  markTotpUsed(totpSecret);
  return { ...person, agent, companyId: company.companyId, totpSecret };
}

/** Another user of the company, created and signed up through a link (password set), who has not logged in yet: 2FA not set up. */
export async function signedUpUser(server: TestServer, company: Pick<Person, 'companyId' | 'companyName'>, username: string, role: Role = 'user') {
  const { db } = server.gatehouse.deps;
  const user = await createUser(db, company.companyId, { username, email: `${username}@users.test`, displayName: username, role }, Date.now());
  const link = await issueSignupLink(db, company.companyId, user.id, Date.now(), 3_600_000);
  await signUp(server, `${server.baseUrl}/signup/${link.token}`);
  return { username, companyName: company.companyName, password: STRONG_PASSWORD };
}

/** The provider's published keys, fetched the way a module does. */
export async function publishedKeys(config: client.Configuration) {
  const jwksUri = config.serverMetadata().jwks_uri;
  assert.ok(jwksUri);
  const answer = await fetch(jwksUri);
  assert.equal(answer.status, 200);
  return ((await answer.json()) as { keys: (JsonWebKey & { kid: string; alg: string })[] }).keys;
}

export function jwtParts(jwt: string) {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg: string; kid: string },
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>,
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}

/** Verifies an RS256 or ES256 JWT against the provider's JWKS as published now. */
export async function verifiesWithJwks(config: client.Configuration, jwt: string): Promise<boolean> {
  const { header, signingInput, signature } = jwtParts(jwt);
  assert.ok(header.alg === 'RS256' || header.alg === 'ES256', header.alg);
  const jwk = (await publishedKeys(config)).find((key) => key.kid === header.kid);
  if (!jwk || jwk.alg !== header.alg) return false;
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  // JWS carries ECDSA signatures as r || s, not DER.
  return header.alg === 'ES256'
    ? verify('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }, signature)
    : verify('sha256', Buffer.from(signingInput), key, signature);
}

export { client };
