// oidc-provider configured for Gatehouse. Its login UI is ours: every interaction goes
// to the identifier-first login (password and TOTP, enrollment included), which returns
// to the resume, or straight to the resume when the browser has a session; the resume's
// gate (sign-in-gate.ts) decides whether that session will do and gives the result.
// Extra login checks make the provider follow Gatehouse's own session (the company's
// limits, logout, its IP allowlist, the login it stands for: live-login.ts), what a
// module asks of it (max_age, a key) and the company's module access on every
// authorization, silent ones included; grants are bound to that session
// (session-binding.ts).
import Provider, { errors, interactionPolicy, type Configuration, type Grant, type KoaContextWithOIDC } from 'oidc-provider';
import { credentialTag, scopesBeyond } from '../../api-clients/index.ts';
import { keyedHashMatches } from '../../crypto/index.ts';
import type { RememberedModules } from './remembered-modules.ts';
import { normalizeAddress } from '../../http/client-ip.ts';
import type { CoreDeps } from '../../shared/deps.ts';
import { fetchWithin, unreachableCause } from '../../shared/outbound-fetch.ts';
import { authenticateSession } from '../../sessions/index.ts';
import { authenticateSessionWithAccess, moduleAccessFor, type SignedInWithAccess } from '../access.ts';
import { accountIdOf, accountOf, ACR_2FA, ACR_PHISHING_RESISTANT, findAccount, parseAccountId } from './account.ts';
import { asksForKey, keyMissingFor, loginOf, rememberLiveLogin, remembersLogin, takeLiveLogin } from './live-login.ts';
import { createAdapterFactory } from './adapter.ts';
import { rememberProofsAtomically } from './replay-detection.ts';
import { acceptHintsFromDroppedKeys } from './id-token-hints.ts';
import { cookieInHeader, tokenShaped, type CookieNames } from '../../http/cookies.ts';
import { INTERACTION_TTL_S, interactionPath, loginPageFor } from './carried-interaction.ts';
import type { CarriedInBrowser } from './adapter.ts';
import { handedSession, handedSignedIn } from './resume-handover.ts';
import { holdToSignInCap } from './sign-in-cap.ts';
import { MODULE_SCOPES, SUPPORTED_SCOPES } from './scopes.ts';
import { batchOfRequest } from './write-batch.ts';
import { errorPage, loggedOutPage, LOGOUT_PAGE_CSP, logoutPage, PAGE_CSP } from './pages.ts';
import { grantServesSession, saveGrantBound, lifetimeWithinSession, tokenUseAllowed } from './session-binding.ts';
import type { PrivateJwk } from '../signing-keys.ts';

const HOUR_S = 3600;
/** The longest absolute session limit a company may set (POLICY_LIMITS), in seconds. */
const MAX_SESSION_S = 24 * HOUR_S;

export interface OidcOptions {
  /** Gatehouse's session cookie, which the provider reads to know who is signed in. */
  sessionCookieName: string;
  /** The provider's own cookies, prefixed like Gatehouse's over https (src/http/cookies.ts). */
  cookieNames: CookieNames['provider'];
  keys: PrivateJwk[];
  /** Sign-ins in progress, carried by the browser in sealed cookies (carried-interaction.ts). */
  carried: CarriedInBrowser;
  /** Modules remembered for client credentials requests (remembered-modules.ts). */
  remembered: RememberedModules;
}

export function buildProvider(deps: CoreDeps, options: OidcOptions): Provider {
  const outboundFetch = fetchWithin(deps.config.modulePrivateNetworks);
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  if (!login) throw new Error('oidc-provider has no login prompt');
  // Every check Gatehouse adds to the login prompt answers a module asking prompt=none with
  // login_required (OpenID Connect Core §3.1.2.6; docs/MODULES.md): a check added after the
  // prompt is built gets no error of its own, and the provider would answer
  // interaction_required, which a module's silent sign-in does not expect.
  const loginCheck = (reason: string, description: string, check: (ctx: KoaContextWithOIDC) => Promise<boolean>) =>
    new Check(reason, description, 'login_required', check);

  // An authorization asks up to five times (the grant, the session check, max_age, the
  // key, the module access check); one read answers them all, as if all had asked at
  // once: the session, and its user's access to the client asking.
  const sessionOfRequest = new WeakMap<KoaContextWithOIDC, Promise<SignedInWithAccess | undefined>>();
  /** The browser's Gatehouse session token, if it has one of the right shape. */
  const sessionToken = (ctx: KoaContextWithOIDC) => tokenShaped(cookieInHeader(ctx.get('cookie'), options.sessionCookieName));
  // Asked only where the provider has the client (its login checks, loadExistingGrant):
  // without one there is no decision to read, and no session is taken as found.
  const sessionWithAccess = (ctx: KoaContextWithOIDC) => {
    const token = sessionToken(ctx);
    const clientId = ctx.oidc.client?.clientId;
    if (!token || !clientId) return Promise.resolve(undefined);
    let found = sessionOfRequest.get(ctx);
    // On the resume, the read its gate made in this request (resume-handover.ts).
    found ??= handedSession(token, clientId) ?? authenticateSessionWithAccess(deps.db, token, deps.clock(), normalizeAddress(ctx.ip), clientId);
    sessionOfRequest.set(ctx, found);
    return found;
  };
  const gatehouseSession = async (ctx: KoaContextWithOIDC) => (await sessionWithAccess(ctx))?.signedIn;

  login.checks.add(
    // The provider's session must remember the live session's very login (who, acr, amr,
    // auth_time): a later login of the same account was brought in (loadExistingGrant);
    // anything else is asked for, and the resume writes the live one.
    loginCheck('gatehouse_session', 'The Gatehouse session has ended, belongs to someone else or is another login', async (ctx) => {
      const { session } = ctx.oidc;
      if (!session?.accountId) return Check.NO_NEED_TO_PROMPT; // no_session already asks
      const signedIn = await gatehouseSession(ctx);
      return signedIn && remembersLogin(session, loginOf(signedIn)) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  login.checks.add(
    // acr_values asking for a key, on the live session's login: one made without a key
    // goes to the resume, whose gate sends the user to log in with their key (step-up);
    // prompt=none hears login_required. Never a code that claims less than was asked.
    loginCheck('gatehouse_acr', 'A passkey or security key is required', async (ctx) => {
      const { params, session } = ctx.oidc;
      if (!session?.accountId || !params?.acr_values) return Check.NO_NEED_TO_PROMPT; // no_session already asks
      const signedIn = await gatehouseSession(ctx);
      if (!signedIn) return Check.NO_NEED_TO_PROMPT; // gatehouse_session already asks
      return keyMissingFor(params.acr_values, signedIn.amr) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  login.checks.add(
    // max_age on Gatehouse's own login time, in milliseconds: oidc-provider counts whole
    // seconds, so max_age=0 right after a login (in the same second) asked for nothing.
    // The resume's gate then wants a login made for this very request (sign-in-gate.ts).
    loginCheck('gatehouse_max_age', 'End-User authentication could not be obtained', async (ctx) => {
      const { params, session, result } = ctx.oidc;
      if (params?.max_age === undefined || !session?.accountId || result?.login) return Check.NO_NEED_TO_PROMPT;
      const signedIn = await gatehouseSession(ctx);
      if (!signedIn) return Check.NO_NEED_TO_PROMPT; // gatehouse_session already asks
      return deps.clock() - signedIn.authTime >= Number(params.max_age) * 1000 ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  login.checks.add(
    loginCheck('module_access', 'The user may not use this module (company or groups)', async (ctx) => {
      const ids = ctx.oidc.session?.accountId ? parseAccountId(ctx.oidc.session.accountId) : undefined;
      const clientId = ctx.oidc.client?.clientId;
      if (!ids || !clientId) return Check.NO_NEED_TO_PROMPT;
      // The decision read with the Gatehouse session serves when that session is this
      // account's (gatehouse_session asks for a login otherwise); else its own read.
      const found = await sessionWithAccess(ctx);
      const withSession = found?.signedIn.companyId === ids.companyId && found.signedIn.userId === ids.userId ? found.access : undefined;
      const access = withSession ?? (await moduleAccessFor(deps.db, ids.companyId, ids.userId, clientId));
      return access === 'allowed' ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );

  // The grant an authorization's code is made from (configuration.loadExistingGrant), also
  // for a silent sign-in's live login (takeLiveLogin). It is found or made before the login
  // checks, and saved (bound to the Gatehouse session) only once they pass, by the
  // gatehouse_grant prompt: a sign-in they refuse leaves nothing bound, so no module is
  // owed a logout notice naming a user it never got a code for.
  const grantsToSave = new WeakMap<KoaContextWithOIDC, () => Promise<unknown>>();
  const loadExistingGrant = async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
    const { client, session, params, result } = ctx.oidc;
    if (!client || !session?.accountId) return undefined;
    const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
    // A grant serves one Gatehouse session: a grant of another (or ended) session is
    // not reused, so its tokens end with the session they came from.
    const found = await sessionWithAccess(ctx);
    const signedIn = found?.signedIn;
    const ours = signedIn && accountIdOf(signedIn.companyId, signedIn.userId) === session.accountId ? signedIn : undefined;
    // Before the login checks run and the code is made: the provider's session takes this
    // session's login if it remembers an earlier one of the account (live-login.ts).
    if (ours) rememberLiveLogin(session, loginOf(ours));
    let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    if (!grant || grant.accountId !== session.accountId || (ours && !(await grantServesSession(deps.db, grant.jti, ours.sessionHash)))) {
      grant = new ctx.oidc.provider.Grant({ accountId: session.accountId, clientId: client.clientId });
      // Its id now, as save() would give it: the session and the code name it before it is saved.
      grant.jti = (grant as unknown as { generateTokenId(): string }).generateTokenId();
    }
    const requested = String(params?.scope ?? 'openid').split(' ').filter((s) => MODULE_SCOPES.includes(s));
    grant.addOIDCScope(requested.join(' '));
    if (!ours) {
      grantsToSave.set(ctx, () => grant.save());
      return grant;
    }
    // A module this user may not open (not granted to the company, switched off, not in
    // their groups) is refused below (module_access) and gets nothing: no grant saved or
    // bound to the session, no place in the provider session. Bound, it was owed a signed
    // logout notice naming the user at their next logout, for a silent sign-in it made.
    if (found?.access !== 'allowed') return grant;
    session.ensureClientContainer(client.clientId);
    const binding = {
      sessionHash: ours.sessionHash,
      companyId: ours.companyId,
      userId: ours.userId,
      clientId: client.clientId,
      accountId: session.accountId,
      sid: session.sidFor(client.clientId) ?? null,
      providerSessionUid: session.uid ?? null,
    };
    // The adapter writes the binding in the grant's own upsert (session-binding.ts).
    grantsToSave.set(ctx, () => saveGrantBound(deps.db, ctx, binding, () => grant.save(), deps.clock()));
    return grant;
  };

  // Before the login prompt: a silent sign-in from a browser logged in at the portal only
  // takes the live login into its provider session (live-login.ts, takeLiveLogin). Never
  // asks for anything itself; the login prompt's checks then judge that login.
  policy.add(
    new interactionPolicy.Prompt(
      { name: 'gatehouse_live_login', requestable: false },
      new Check('live_login_taken', 'The live Gatehouse login was taken for a silent sign-in', async (ctx) => {
        const { oidc } = ctx;
        if (oidc.session?.accountId || !oidc.promptPending('none')) return Check.NO_NEED_TO_PROMPT;
        const found = await sessionWithAccess(ctx);
        // No live session, or a module the user may not use: no_session asks (login_required).
        if (found?.access === 'allowed') await takeLiveLogin(ctx, found.signedIn, (grantCtx) => loadExistingGrant(grantCtx));
        return Check.NO_NEED_TO_PROMPT;
      }),
    ),
    0,
  );
  // After the login prompt (whose refusal ends the evaluation) and before consent: the
  // grant loadExistingGrant found or made is saved and bound now, once the sign-in has
  // taken its user's slot (sign-in-cap.ts: past the cap, temporarily_unavailable and
  // nothing saved).
  policy.add(
    new interactionPolicy.Prompt(
      { name: 'gatehouse_grant', requestable: false },
      new Check('grant_saved', 'The grant was saved for the sign-in the login checks let through', async (ctx) => {
        const save = grantsToSave.get(ctx);
        grantsToSave.delete(ctx);
        if (!save) return Check.NO_NEED_TO_PROMPT;
        const signedIn = (await sessionWithAccess(ctx))?.signedIn;
        if (signedIn) await holdToSignInCap(deps, ctx, signedIn);
        await save();
        return Check.NO_NEED_TO_PROMPT;
      }),
    ),
    policy.findIndex((prompt) => prompt.name === 'login') + 1,
  );

  const configuration: Configuration = {
    adapter: createAdapterFactory(deps.db, deps.clock, options.carried, options.remembered),
    // With a token (code, refresh, userinfo), the module it was issued to must still be
    // enabled for the user's company.
    // ...and the Gatehouse session the token's grant came from must still be live
    // (session-binding.ts).
    findAccount: async (ctx, sub, token) => {
      if (token && !(await tokenUseAllowed(deps.db, ctx, token, deps.clock()))) return undefined;
      // On the resume, the account is the user whose live session its gate read in this
      // same request (resume-handover.ts): an active user of an active company, not read again.
      const signedIn = token ? undefined : await handedSignedIn();
      if (signedIn && accountIdOf(signedIn.companyId, signedIn.userId) === sub) return accountOf(sub, signedIn);
      return findAccount(deps.db, sub, token?.clientId);
    },
    scopes: SUPPORTED_SCOPES,
    claims: {
      sid: null,
      iss: null,
      // How and when the user logged in travels in every ID token: modules can check
      // that the second factor was used (acr, or amr with "otp" for an app code or "mfa"
      // for a recovery code) and how long ago (auth_time).
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
      company: ['company'],
    },
    // The ID token carries the scope's claims too: modules read who and which company
    // from it without a userinfo round trip.
    conformIdTokenClaims: false,
    acrValues: [ACR_2FA, ACR_PHISHING_RESISTANT],
    interactions: {
      policy,
      // A browser with no Gatehouse session goes straight to the login page: the gate
      // would only send it there (it has nobody to sign in), and a redirect fewer is a
      // round trip fewer for the person and a request fewer for the node. One that has a
      // session goes to the resume, whose gate decides whether that session will do
      // (single sign-on, max_age, prompt=login, a key asked for: sign-in-gate.ts). The login
      // page is told up front when the module asks for a key (need=key), as after a step-up.
      url: (ctx, interaction) =>
        sessionToken(ctx) ? interactionPath(interaction.uid) : loginPageFor(interaction.uid, { needKey: asksForKey(interaction.params.acr_values) }),
    },
    cookies: {
      keys: [deps.deriveKey('oidc-cookies').toString('base64url')],
      names: options.cookieNames,
      long: { httpOnly: true, sameSite: 'lax', secure: deps.config.secureCookies },
      short: { httpOnly: true, sameSite: 'lax', secure: deps.config.secureCookies },
    },
    jwks: { keys: options.keys as never },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      introspectionSigningAlgValues: ['RS256', 'ES256'],
      authorizationSigningAlgValues: ['RS256', 'ES256'],
      requestObjectSigningAlgValues: ['RS256', 'ES256'],
      clientAuthSigningAlgValues: ['RS256', 'ES256'],
    },
    // The authorization code flow (with PKCE) is the only one modules use: discovery
    // advertises exactly it, no implicit or hybrid response types.
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      require_auth_time: true,
    },
    pkce: { required: () => true },
    // The provider's only outgoing requests are back-channel logouts, to URIs operators
    // registered. They keep to the one outbound policy (src/shared/outbound-fetch.ts):
    // public addresses, and the private networks GATEHOUSE_MODULE_PRIVATE_NETWORKS allows
    // (by default this machine's loopback only while the portal itself is served on
    // loopback, for development). oidc-provider's own public-only dispatcher is replaced
    // by ours, which checks every spelling of an address after DNS has answered.
    fetch: (url, init) => {
      const { dispatcher: _providersOwn, ...checkedInit } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      // A refused destination is named as such in the outbox's last error, not "fetch failed".
      return outboundFetch(url instanceof Request ? url.url : String(url), checkedInit as Parameters<typeof outboundFetch>[1]).catch((error: unknown) => {
        throw unreachableCause(error) ?? error;
      });
    },
    features: {
      devInteractions: { enabled: false },
      // Each module sees and revokes only its own tokens: one module holding another's
      // token learns nothing from it (oidc-provider's default lets any confidential
      // client introspect every token, and warns that it should be changed).
      // A client-credentials token is active only while the secret it was obtained with is
      // still its client's, as the api-client guard holds it: rotation ends it in the store,
      // and one stored late by a token request that raced the rotation is no exception.
      // A public module proves nothing at introspection (its client id is public), so anyone
      // holding one of its tokens could ask about it: it is answered `active: false`, as
      // Keycloak refuses public clients there. It has its tokens; userinfo is for it.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => client.clientAuthMethod !== 'none' && token.clientId === client.clientId && credentialStillHeld(client, token),
      },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      // Module tokens are for Gatehouse itself (userinfo, introspection); it serves no other
      // resource server, so any `resource` a module names is refused as invalid_target. Said
      // here, not left to the library's default, which does the same but warns at every
      // call that it must be replaced (test/oidc/cross-module-refusals.test.ts).
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: () => {
          throw new errors.InvalidTarget();
        },
      },
      clientCredentials: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.set('content-security-policy', LOGOUT_PAGE_CSP);
          ctx.type = 'html';
          ctx.body = logoutPage(form, ctx.oidc.client?.clientName);
        },
        // "Stay Logged In" with no post-logout URI lands here too, the Gatehouse session
        // still live: the page says which it was. The module comes from the address, which
        // any link can write: it is named as logged out of only when the browser's provider
        // session no longer holds a sign-in to it, and as still signed in when it does.
        postLogoutSuccessSource: async (ctx) => {
          const token = sessionToken(ctx);
          const live = token ? await authenticateSession(deps.db, token, deps.clock(), normalizeAddress(ctx.ip)) : undefined;
          const { client } = ctx.oidc;
          const stillSignedIn = client !== undefined && (await ctx.oidc.provider.Session.get(ctx)).authorizations?.[client.clientId] !== undefined;
          ctx.set('content-security-policy', PAGE_CSP);
          ctx.type = 'html';
          ctx.body = loggedOutPage(live !== undefined, client?.clientName, stillSignedIn);
        },
      },
    },
    // A client-credentials token is made, before it is stored, only for scopes its client
    // has (refuseScopesBeyondClient), and remembers which secret it was obtained with, so
    // rotating the secret ends it (api-client guard). For a module that is the secret its
    // insert is guarded by (remembered-modules.ts): after a recheck, the module's new
    // secret, not the remembered copy's the request's client was built from.
    extraTokenClaims: async (ctx, token) => {
      if (token.kind !== 'ClientCredentials') return undefined;
      refuseScopesBeyondClient(ctx);
      const client = ctx?.oidc?.client;
      const guard = batchOfRequest()?.clientGuard;
      const secretHash = guard && guard.clientId === client?.clientId ? guard.secretHash : client?.clientSecret;
      if (!secretHash) return undefined;
      return { gh_credential: credentialTag(secretHash) };
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      // Module tokens never outlive the Gatehouse session they came from (the company's
      // absolute limit); use is refused earlier still once that session has ended.
      AccessToken: (ctx) => lifetimeWithinSession(ctx, 10 * 60, deps.clock()),
      AuthorizationCode: 60,
      ClientCredentials: 10 * 60,
      IdToken: HOUR_S,
      Interaction: INTERACTION_TTL_S,
      // Never outlive the longest absolute limit a company may set.
      Grant: MAX_SESSION_S,
      RefreshToken: (ctx) => lifetimeWithinSession(ctx, MAX_SESSION_S, deps.clock()),
      // A session nobody signed in to (the logout page's, for its form's xsrf value) lives
      // as long as a sign-in may; anonymous-caps.ts bounds how many are made.
      Session: (_ctx, session) => (session.accountId ? MAX_SESSION_S : INTERACTION_TTL_S),
    },
    // Modules are registered by operators: first party, so there is no consent screen.
    // The grant covers the scopes the module asks for, within what Gatehouse supports.
    loadExistingGrant: (ctx) => loadExistingGrant(ctx),
    renderError: async (ctx, out) => {
      ctx.set('content-security-policy', PAGE_CSP);
      ctx.type = 'html';
      const detail = typeof out.error_description === 'string' ? out.error_description : String(out.error ?? 'error');
      ctx.body = errorPage('Sign-in could not continue', `The application's request was refused: ${detail}.`);
    },
  };

  const provider = new Provider(new URL('/oidc', deps.config.publicUrl).toString(), configuration);
  // Host, protocol and client address come from X-Forwarded-* headers that Gatehouse's
  // HTTP layer sets itself from GATEHOUSE_PUBLIC_URL and the client address it trusts
  // (see presentAsPublic in src/http/routes/oidc.ts), never from what a client sent.
  provider.proxy = true;
  // A DPoP proof or client assertion is taken once, by one atomic write (replay-detection.ts).
  rememberProofsAtomically(provider, deps.db, deps.clock);
  // A module's copy of an ID token whose key has since gone still lets its user log out,
  // and names the user it expects at a sign-in (id-token-hints.ts).
  acceptHintsFromDroppedKeys(provider, options.keys);

  // Client secrets are stored as keyed hashes; hash what the client presents, then
  // compare in constant time. The stored hash is read with the client on every request
  // (clients.ts), except a client credentials request's module, remembered: a secret that
  // does not match the copy is checked again against the module as stored now (a rotation
  // the copy predates), and a token from a stale copy is never stored (remembered-modules.ts).
  const secretKey = deps.deriveKey('client-secrets');
  const matches = (actual: string, secretHash: string | undefined) => Boolean(secretHash) && keyedHashMatches(secretKey, actual, secretHash as string);
  provider.Client.prototype.compareClientSecret = async function compareHashedSecret(this: { clientId: string; clientSecret?: string }, actual: string) {
    if (matches(actual, this.clientSecret)) return true;
    // Only where this request's module came from a copy (recheck answers false elsewhere).
    return options.remembered.recheck(this.clientId, (secretHash) => matches(actual, secretHash));
  };
  return provider;
}

/**
 * A client-credentials token asks for its client's scopes only: any other value, known or
 * not (scopesBeyond), is `invalid_scope` and no token. Called as the token is made, before
 * it is stored; without the request to read, nothing is made (fail closed).
 */
function refuseScopesBeyondClient(ctx: KoaContextWithOIDC | undefined): void {
  const requested: unknown = (ctx?.oidc?.body as { scope?: unknown } | undefined)?.scope;
  const client = ctx?.oidc?.client;
  const readable = client !== undefined && (requested === undefined || typeof requested === 'string');
  const beyond = readable ? scopesBeyond(requested as string | undefined, client.scope) : [String(requested ?? '')];
  if (beyond.length > 0) throw new errors.InvalidScope('requested scope is not allowed', beyond.join(' '));
}

/** The rule the api-client guard holds a client-credentials token to: its secret is still its client's (credentialTag). */
function credentialStillHeld(client: { clientSecret?: string | undefined }, token: { kind: string; extra?: Record<string, unknown> | undefined }): boolean {
  if (token.kind !== 'ClientCredentials') return true;
  return Boolean(client.clientSecret) && token.extra?.gh_credential === credentialTag(client.clientSecret as string);
}
