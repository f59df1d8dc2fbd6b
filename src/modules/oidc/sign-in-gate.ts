// The front half of the resume (GET /oidc/auth/:uid): whether the browser's Gatehouse
// session will do for this module sign-in, decided in the request that then resumes it.
// The login page returns here, and the authorization sends a browser with a session
// here; there is no hop through a route of Gatehouse's own in between (one request fewer
// per sign-in, and no result sealed into a cookie for the next request to open).
//
// - Single sign-on, max_age (on Gatehouse's login time in milliseconds), prompt=login and
//   an id_token_hint of someone else (a login made for this sign-in), and acr_values
//   asking for a passkey or security key (step-up) are decided here; a session that will
//   not do goes to the login page for this same sign-in.
// - A user the module is not for gets Gatehouse's page saying why, never a code.
// - What the gate read (the sign-in with its module, the session with its access
//   decision) and its result go to the provider's resume in-process (resume-handover.ts):
//   both halves are one request, so no session can end between the decision and the code.
import type { CoreDeps } from '../../shared/deps.ts';
import { authenticateSessionWithAccess } from '../access.ts';
import { stillRegisteredRedirect } from '../redirect-uris.ts';
import { findModuleByClientId } from '../store.ts';
import { loginMadeFor, loginPageFor, type CarriedInteractions } from './carried-interaction.ts';
import { keyMissingFor, loginOf } from './live-login.ts';
import { errorPage, refusedPage, SIGN_IN_ADDRESS_GONE_PAGE, SIGN_IN_EXPIRED_PAGE } from './pages.ts';
import type { Handed } from './resume-handover.ts';
import { readSignIn } from './sign-in-record.ts';

export type GateAnswer =
  /** Gatehouse's page: no such sign-in (expired, used, or begun in another browser), or a refusal. */
  | { kind: 'page'; status: number; html: string }
  | { kind: 'login'; location: string }
  | { kind: 'resume'; handed: Handed };

export interface GateRequest {
  uid: string;
  /** The request's Cookie header (the sealed sign-in travels in it). */
  cookieHeader: string | undefined;
  /** The Gatehouse session cookie's value, if the browser sent one of the right shape. */
  sessionToken: string | undefined;
  /** The client address, as Gatehouse's guards determined it. */
  ip: string | null;
}

type Prompt = { name?: string; reasons?: string[] };
type Params = { client_id?: string; redirect_uri?: string; max_age?: number | string; acr_values?: string; id_token_hint?: string };

/**
 * The account an id_token_hint names (its `sub`: Gatehouse's subjects are its account ids).
 * Read without checking the signature again: the provider checked it at the authorization
 * (an ID token Gatehouse signed for this module, or one whose key has since gone, taken as
 * a restriction only: id-token-hints.ts), and the sign-in's parameters come back sealed or
 * stored, as the provider left them. It only ever asks for a login, never skips one.
 */
function hintedAccount(hint: string | undefined): string | undefined {
  const payload = hint?.split('.')[1];
  if (!payload) return undefined;
  try {
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

export async function decideSignIn(deps: CoreDeps, interactions: CarriedInteractions, request: GateRequest): Promise<GateAnswer> {
  const { uid } = request;
  const found = await interactions.withCookies(request.cookieHeader, () => readSignIn(deps.db, interactions, uid, deps.clock(), true));
  const interaction = found.payload;
  if (!interaction) return { kind: 'page', status: 400, html: SIGN_IN_EXPIRED_PAGE };
  const now = deps.clock();
  const params = (interaction.params ?? {}) as Params;
  const prompt = (interaction.prompt ?? {}) as Prompt;
  const clientId = params.client_id ?? '';
  // The provider checked the redirect URI at the authorization, not at the resume: a module
  // edited in between (the URI removed, or the module deleted) gets no answer there.
  const module = found.callerRead ? found.caller : await findModuleByClientId(deps.db, clientId);
  if (!module || !stillRegisteredRedirect(module.redirect_uris, params.redirect_uri)) return { kind: 'page', status: 400, html: SIGN_IN_ADDRESS_GONE_PAGE };
  const sessionRead = request.sessionToken ? authenticateSessionWithAccess(deps.db, request.sessionToken, now, request.ip, clientId) : undefined;
  const session = await sessionRead;
  const signedIn = session?.signedIn;
  const reasons = prompt.reasons ?? [];
  // A login made for this sign-in: the login page was sent here for it (its return path
  // names this sign-in's uid), so it happened after the module asked, whatever the clock
  // reads. Clocks cannot tell: the provider counts whole seconds.
  const loggedInForThisRequest = signedIn !== undefined && loginMadeFor(signedIn, uid);
  const maxAgeMs = params.max_age === undefined ? undefined : Number(params.max_age) * 1000;
  // prompt=login and a mismatched id_token_hint want a login made for this request.
  const wantsFreshLogin = reasons.includes('login_prompt') || reasons.includes('id_token_hint');
  // max_age is measured on Gatehouse's login time in milliseconds (max_age=0 always asks),
  // except for a login made for this request, however long the browser took to come back.
  const tooOld = signedIn && !loggedInForThisRequest && maxAgeMs !== undefined && now - signedIn.authTime >= maxAgeMs;
  const freshEnough = signedIn && (!wantsFreshLogin || loggedInForThisRequest);
  // A module asking for phishing-resistant sign-in (acr_values) gets it or nothing: a
  // session made with a code is sent to log in again, where the key is offered (step-up);
  // a login made for this request without a key is refused, never given a weaker token.
  // The provider's gatehouse_acr check asks the same (live-login.ts), so a session that
  // will not do never gets past the authorization without coming here.
  const keyMissing = signedIn !== undefined && keyMissingFor(params.acr_values, signedIn.amr);
  if (keyMissing && loggedInForThisRequest) {
    return {
      kind: 'page',
      status: 403,
      html: errorPage(
        'This application requires a passkey or security key',
        'Sign in with a passkey or security key to continue. You can add one in My Settings, then start signing in again from the application.',
      ),
    };
  }
  // need=key: the login page says why a module sent the user back (it asks for a key);
  // again: a signed-in browser is sent for a new login, which the page must not skip.
  if (!signedIn || !freshEnough || tooOld || keyMissing) return { kind: 'login', location: loginPageFor(uid, { needKey: keyMissing, again: signedIn !== undefined }) };

  const { accountId, acr, amr, loginTs } = loginOf(signedIn);
  // The module named the user it expects (id_token_hint) and someone else logged in for
  // this sign-in: the module hears login_required (OpenID Connect Core 3.1.2.1), never a
  // code for the other person. A session already of the hinted user needs no new login.
  const hinted = hintedAccount(params.id_token_hint);
  if (hinted !== undefined && hinted !== accountId) {
    const error = { error: 'login_required', error_description: 'the user who signed in is not the one the application asked for' };
    return { kind: 'resume', handed: { uid, result: error, interaction, caller: found.caller } };
  }

  const access = session?.access ?? 'not_enabled';
  if (access !== 'allowed') {
    return { kind: 'page', status: 403, html: refusedPage(module.name, signedIn.companyName, access) };
  }

  const result = {
    login: { accountId, amr, acr, ts: loginTs, remember: true },
    // Modules are first party: the grant is made in loadExistingGrant, no consent page.
    ...(prompt.name === 'consent' ? { consent: {} } : {}),
  };
  return {
    kind: 'resume',
    handed: {
      uid,
      result,
      interaction,
      caller: found.caller,
      session: request.sessionToken && sessionRead ? { token: request.sessionToken, clientId, found: sessionRead } : undefined,
    },
  };
}
