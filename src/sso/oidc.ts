// OpenID Connect providers through openid-client: discovery from the issuer URL, the
// authorization code flow with PKCE (S256), state and nonce. The state names the stored
// request (as its SHA-256); the verifier and nonce never leave the server.
import type * as OpenIdClient from 'openid-client';
import { hashToken } from '../crypto/index.ts';
import { GatehouseError } from '../errors.ts';
import { isLoopbackHost } from '../shared/loopback.ts';
import { onFirstUse } from '../shared/on-first-use.ts';
import { fetchWithin, MAX_RESPONSE_BYTES, tooLargeCause, unreachableCause } from '../shared/outbound-fetch.ts';
import { CLOCK_SKEW_MS } from './clock-skew.ts';
import { providerUrlProblem } from './provider-urls.ts';

const openIdClient = onFirstUse(() => import('openid-client'));


export interface OidcClientSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Networks besides the public Internet the provider's URLs may lead to (config.ssoPrivateNetworks). */
  privateNetworks: readonly string[];
}

// Discovery is fetched once per settings and reused for a while: a busy login page
// should not ask the provider for its configuration on every sign-in.
const DISCOVERY_TTL_MS = 10 * 60_000;
const discovered = new Map<string, { at: number; config: Promise<OpenIdClient.Configuration> }>();

export async function discoverProvider(settings: OidcClientSettings): Promise<OpenIdClient.Configuration> {
  const client = await openIdClient();
  const key = hashToken(JSON.stringify([settings.issuer, settings.clientId, settings.clientSecret]));
  const cached = discovered.get(key);
  if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.config;
  const issuer = new URL(settings.issuer);
  // Plain http is allowed only to a provider on this machine (development and tests);
  // anything else must be https, as openid-client insists by default.
  const insecure = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
  // The ID token's signature is checked against the provider's JWKS too. OpenID Connect
  // lets a client skip it for a token fetched straight from the token endpoint over TLS,
  // but the token carries what Gatehouse trusts for MFA (amr, acr): it must be the
  // provider's own, not only whatever came back on that connection.
  const execute = [client.enableNonRepudiationChecks, ...(insecure ? [client.allowInsecureRequests] : [])];
  // Every request of this configuration (discovery, keys, token, userinfo) goes through
  // the checked fetch: only public addresses and the networks the operator allows.
  const config = client
    .discovery(issuer, settings.clientId, settings.clientSecret, undefined, { execute, [client.customFetch]: fetchWithin(settings.privateNetworks) })
    .then(withUsableEndpoints)
    .catch((error: unknown) => {
      discovered.delete(key);
      // withUsableEndpoints' refusal already says what is wrong.
      if (error instanceof GatehouseError) throw error;
      const issuerProblem = unreachableCause(error)
        ? 'This issuer URL leads to a private or local network address, which Gatehouse does not connect to unless the operator allows it.'
        : tooLargeCause(error)
          ? `The provider's discovery document is larger than the ${MAX_RESPONSE_BYTES / 1024} KiB Gatehouse reads from a provider.`
          : "No OpenID Connect discovery document was found at this issuer URL's /.well-known/openid-configuration.";
      throw new GatehouseError('sso.discovery_failed', { cause: error, fields: { issuer: issuerProblem } });
    });
  discovered.set(key, { at: Date.now(), config });
  if (discovered.size > 500) discovered.delete(discovered.keys().next().value as string);
  return config;
}

/** Endpoints a discovery document may name, each held to the rule for a provider's URLs. */
const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri'] as const;

/**
 * The discovered configuration, if every endpoint it names is one Gatehouse may use: the
 * authorization endpoint becomes the address a user's browser is sent to, so a document
 * naming javascript: or plain http off this machine is refused at discovery (a field
 * message for the Master), not met later as a failure at every sign-in.
 */
function withUsableEndpoints(config: OpenIdClient.Configuration): OpenIdClient.Configuration {
  const metadata = config.serverMetadata() as Record<string, unknown>;
  for (const name of ENDPOINTS) {
    const value = metadata[name];
    if (value === undefined && name !== 'authorization_endpoint' && name !== 'token_endpoint') continue;
    const problem = typeof value === 'string' ? providerUrlProblem(value) : 'is missing';
    if (problem) {
      throw new GatehouseError('sso.discovery_failed', { fields: { issuer: `The provider's discovery document names an ${name} that ${problem}.` } });
    }
  }
  return config;
}

export interface OidcStart {
  requestId: string;
  nonce: string;
  codeVerifier: string;
  redirectTo: string;
}

export async function oidcAuthorization(settings: OidcClientSettings, redirectUri: string): Promise<OidcStart> {
  const [client, config] = await Promise.all([openIdClient(), discoverProvider(settings)]);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  });
  return { requestId: hashToken(state), nonce, codeVerifier, redirectTo: url.toString() };
}

/** The request an OIDC callback answers: the SHA-256 of its state, or undefined. */
export function requestIdOfState(state: string | undefined): string | undefined {
  return state && state.length <= 200 ? hashToken(state) : undefined;
}

/** Redeems the code (PKCE, state, nonce and the ID token checked by openid-client); the ID token's claims, and userinfo's. */
export async function oidcClaims(
  settings: OidcClientSettings,
  callbackUrl: URL,
  checks: { state: string; nonce: string; codeVerifier: string; needed?: string | null },
): Promise<Record<string, unknown>> {
  const [client, config] = await Promise.all([openIdClient(), discoverProvider(settings)]);
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: checks.codeVerifier,
    expectedState: checks.state,
    expectedNonce: checks.nonce,
    idTokenExpected: true,
  });
  const idToken = tokens.claims();
  if (!idToken) throw new Error('the provider returned no ID token');
  // An ID token issued to another client names it as its authorized party (OpenID Connect
  // Core 3.1.3.7, point 5): openid-client checks azp only when aud is a list, so a token
  // with our client id as its one audience but another client's azp is refused here.
  if (idToken.azp !== undefined && idToken.azp !== settings.clientId) throw new Error(`the ID token was issued to another client (azp ${String(idToken.azp)})`);
  // openid-client checks that iat is there, not when it is: a token dated later than the
  // clocks can disagree was not issued now (a provider's broken clock, or a token minted
  // ahead to be used later), and its exp would say nothing of its age. Read on the clock
  // openid-client judged its exp by, the machine's.
  if (idToken.iat * 1000 > Date.now() + CLOCK_SKEW_MS) throw new Error(`the ID token is dated in the future (iat ${idToken.iat})`);
  let userinfo: Record<string, unknown> = {};
  try {
    userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
  } catch (error) {
    // Userinfo is optional: the ID token alone is enough when it carries the claims. A claim
    // read at every sign-in (`needed`: the groups) that the ID token leaves to userinfo is
    // not: read as absent, an outage would take the user's groups away.
    const { needed } = checks;
    if (needed && idToken[needed] === undefined && config.serverMetadata().userinfo_endpoint) {
      throw new Error(`the provider's userinfo could not be read (${error instanceof Error ? error.message : String(error)}), and its ID token does not carry the "${needed}" claim`);
    }
  }
  // How the person signed in (amr, acr, auth_time: what trusting the provider's MFA rests
  // on) is taken from the signed ID token only, never from userinfo, a plain JSON answer,
  // even where the ID token says nothing of it. For the rest the ID token wins too.
  const { amr: _amr, acr: _acr, auth_time: _authTime, ...profile } = userinfo;
  return { ...profile, ...idToken };
}
