// The running provider. Signing keys live in the database; a node notices a rotation
// (`gatehouse keys rotate` on any node) within a minute (KEY_CHECK_MS), and a rotated-in
// key reaching its activation time, and rebuilds its provider with the new key set. All
// provider state is in the database, so nothing is lost.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { default as Provider, KoaContextWithOIDC } from 'oidc-provider';
import { recordAudit, type AuditEvent } from '../../audit/index.ts';
import { hashToken } from '../../crypto/index.ts';
import { authenticateSession, endSession } from '../../sessions/index.ts';
import { createBackchannelWorker, endModuleAccess, enqueueLogoutNotice, grantInForce, queueProviderNotices, type BackchannelWorker } from '../backchannel/index.ts';
import { accountIdOf, parseAccountId } from './account.ts';
import { giveFormPostPageItsPolicy } from './form-post-page.ts';
import { keepLogoutReturnRegistered } from './post-logout-uri.ts';
import { errorPage, LOGOUT_PAGE_CSP, logoutForm, logoutPage, PAGE_CSP } from './pages.ts';
import { AlreadySpent, batchOfRequest, InteractionAlreadyUsed, ModuleSecretChanged, storeBatchBeforeAnswering } from './write-batch.ts';
import { rememberedModules } from './remembered-modules.ts';
import { normalizeAddress } from '../../http/client-ip.ts';
import type { CoreDeps } from '../../shared/deps.ts';
import { isDatabaseUnavailable, isTransactionConflict, type Durability, type WorkerReports } from '../../storage/index.ts';
import { ensureSigningKeys, JWKS_MAX_AGE_S, KEY_CHECK_MS, loadSigningKeys } from '../signing-keys.ts';
import { buildProvider } from './provider.ts';
import { cookieInHeader, cookieNames, tokenShaped } from '../../http/cookies.ts';
import { UNCHOSEN_CACHE } from '../../http/security-headers.ts';
import { decideSignIn, type GateAnswer, type GateRequest } from './sign-in-gate.ts';
import { carriedInteractions } from './carried-interaction.ts';
import { capAnonymousLogoutPages, capAnonymousPushedRequests, capStoredInteractions } from './anonymous-caps.ts';
import type { CarriedInBrowser } from './adapter.ts';

// Discovery and the key set are public and change rarely, so clients and caches may keep
// them; the key set only briefly, so a rotation or a retired key reaches every verifier
// soon after each node has noticed it (KEY_CHECK_MS). A rotated-in key signs only once
// both have passed (KEY_ACTIVATION_DELAY_MS in signing-keys.ts).
const PUBLIC_MAX_AGE_S: Record<string, number> = { discovery: 300, jwks: JWKS_MAX_AGE_S };

/** Confirmed logout on the provider's page: this browser session and what it led to end. */
async function logOutSession(db: CoreDeps['db'], token: string, now: number) {
  await db.transaction().execute(async (tx) => {
    await endSession(tx, token);
    await endModuleAccess(tx, now, { sessionHashes: [hashToken(token)] }, 'logout');
  });
}

export interface OidcService {
  provider(): Provider;
  /** Node request handler for everything under /oidc (the prefix already stripped). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Re-reads the signing keys now (the periodic key check; after a rotation in this process). */
  reloadKeys(): Promise<void>;
  /** Delivers back-channel logout notices (started by createGatehouse). */
  backchannel: BackchannelWorker;
  /** What a module sign-in carries in the browser (carried-interaction.ts). */
  carried: CarriedInBrowser;
  /** The resume's gate: whether the browser's session will do for sign-in `uid` (sign-in-gate.ts). */
  decideSignIn(request: GateRequest): Promise<GateAnswer>;
  close(): Promise<void>;
}

/**
 * Whether a confirmed logout is the provider's own, posted by its resume when a sign-in
 * finished as another account than its session's (oidc-provider's resume.js): that post
 * returns to the sign-in's resume (the authorization endpoint's path and the sign-in's
 * uid), where no module's post-logout URI goes.
 */
function isAccountSwitch(oidc: KoaContextWithOIDC['oidc']): boolean {
  const returnTo: unknown = oidc.session?.state?.postLogoutRedirectUri;
  if (typeof returnTo !== 'string' || !returnTo.startsWith(`${oidc.urlFor('authorization')}/`)) return false;
  const registered: unknown = oidc.client?.postLogoutRedirectUris;
  return !(Array.isArray(registered) && registered.includes(returnTo));
}

export async function createOidcService(
  deps: CoreDeps,
  options: {
    /** The provider's own errors, made answering a request (answered 503 for an outage, else 500). */
    onError?: (error: unknown) => void;
    /**
     * The background work's reports (storage/worker-reports.ts), kept apart from the
     * provider's errors: the back-channel logout worker (deliveries, sweeps, audit
     * retention) and the signing-key check. None: not told.
     */
    backchannelReports?: WorkerReports;
    keyCheckReports?: WorkerReports;
    /** SQLite group commit: the provider's answers wait for what they read (src/http/durable-answers.ts). */
    durability?: Durability;
    /** The browser sessions' clean-up, run by the back-channel worker's sweeps (src/users/session-sweep.ts). */
    sweepSessions?: (now: number) => Promise<void>;
  },
): Promise<OidcService> {
  await ensureSigningKeys(deps.db, deps.secrets, deps.clock());
  let loaded = await loadSigningKeys(deps.db, deps.secrets, deps.clock());
  const cookies = cookieNames(deps.config.secureCookies);
  const carried: CarriedInBrowser = {
    interactions: carriedInteractions(deps.secrets, cookies.oidcInteraction, deps.config.secureCookies, deps.clock),
  };

  function launchEvent(ctx: KoaContextWithOIDC): AuditEvent | undefined {
    const ids = ctx.oidc.session?.accountId ? parseAccountId(ctx.oidc.session.accountId) : undefined;
    const clientId = ctx.oidc.client?.clientId;
    if (!ids || !clientId) return undefined;
    return {
      companyId: ids.companyId,
      actorId: ids.userId,
      action: 'module.launched',
      target: clientId,
      ip: normalizeAddress(ctx.ip),
      userAgent: ctx.get('user-agent') || null,
      detail: { clientId, module: ctx.oidc.client?.clientName ?? null },
    };
  }

  const build = () => {
    // What the browser carried for a sign-in is cleared by the resume that ends it (the
    // adapter's destroy); a resume whose writes could not be stored clears nothing
    // (answerUnstored), so trying again can finish.
    const remembered = rememberedModules(deps.db);
    const provider = buildProvider(deps, { sessionCookieName: cookies.session, cookieNames: cookies.provider, keys: loaded.keys, carried, remembered });
    // No answer leaves before what it read is on disk (SQLite group commit; the same rule
    // as src/http/durable-answers.ts for Fastify's own answers).
    const { durability } = options;
    if (durability) {
      provider.use(async (_ctx, next) => {
        const mark = durability.mark();
        await next();
        const pending = durability.settled(mark);
        if (pending) await pending;
      });
    }
    provider.use(capAnonymousLogoutPages(deps, cookies.provider.session));
    // After buildProvider: it wraps the atomic ReplayDetection.unique set there, too.
    capAnonymousPushedRequests(provider, deps);
    // When a batch of the provider's writes could not be stored (write-batch.ts), the answer
    // the provider prepared becomes an error.
    const answerUnstored = (koaCtx: object, error: unknown) => {
      const ctx = koaCtx as KoaContextWithOIDC;
      // Nothing the provider prepared may reach the client: no code, no session cookie.
      ctx.remove('location');
      ctx.remove('set-cookie');
      if (error instanceof InteractionAlreadyUsed) {
        // The other resume of this interaction got the code; this one is a replay.
        ctx.set('content-security-policy', PAGE_CSP);
        ctx.type = 'html';
        ctx.body = errorPage('Sign-in could not continue', 'This sign-in has already been completed. Go back to the application and start again if needed.');
        ctx.status = 400;
        return;
      }
      if (error instanceof ModuleSecretChanged) {
        // Authenticated against a remembered copy of the module that its stored secret has
        // since replaced: no token was stored, and the copy goes (remembered-modules.ts).
        remembered.forget(error.clientId);
        ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
        ctx.status = 401;
        // RFC 6749 §5.2, as the provider answers a wrong secret sent in the header.
        if (ctx.headers.authorization) ctx.set('www-authenticate', `Basic realm="${provider.issuer}", error="invalid_client", error_description="client authentication failed"`);
        return;
      }
      if (error instanceof AlreadySpent) {
        // The other exchange got the tokens, and this one's grant has ended (a replay).
        ctx.body = { error: 'invalid_grant', error_description: 'grant request is invalid' };
        ctx.status = 400;
        return;
      }
      if (ctx.oidc?.route === 'token') {
        ctx.body = { error: 'server_error', error_description: 'oops! something went wrong' };
      } else {
        ctx.set('content-security-policy', PAGE_CSP);
        ctx.type = 'html';
        ctx.body = errorPage('Sign-in could not continue', 'Something went wrong on our side. Go back to the application and try again.');
      }
      ctx.status = 500;
      // As the provider's own errors: 503 for a database outage, and reported.
      provider.emit('server_error', ctx, error);
    };
    provider.on('server_error', (ctx, error) => {
      // The provider answers its own errors (500 server_error); a database outage answers
      // 503 here too, as on every other route. Emitted before the response is sent.
      if (isDatabaseUnavailable(error) || isTransactionConflict(error)) {
        ctx.status = 503;
        ctx.set('retry-after', '5');
      }
      options.onError?.(error);
    });
    // Logout notices the provider sends itself (a module starting the logout) go through
    // the durable outbox like every other one.
    queueProviderNotices(provider, async (clientId, sub, sid) => {
      const ids = parseAccountId(sub);
      // Only a module whose sign-in is still in force: one whose access already ended
      // (switched off, revoked) was told then, and is owed no second notice for it.
      if (!ids || !(await grantInForce(deps.db, { clientId, accountId: sub, sid }))) return;
      await enqueueLogoutNotice(deps.db, deps.clock(), { companyId: ids.companyId, clientId, accountId: sub, sid, reason: 'module_logout' });
    });
    // Every module launch, silent sign-ins included, goes into the audit trail: stored with
    // the code it hands out (write-batch.ts), or on its own where the provider's writes are
    // not batched.
    provider.on('authorization.success', (ctx) => {
      const event = launchEvent(ctx);
      if (!event) return;
      const batch = batchOfRequest(ctx);
      if (batch) batch.audit(event);
      else void recordAudit(deps.db, deps.clock(), event).catch((error) => options.onError?.(error));
    });
    // Headers of the provider's answers, in one post-middleware (it runs for every token
    // request too): the public documents' cache lifetime, `no-store` for any other answer
    // the provider left without one (its 404, as on Gatehouse's own routes:
    // security-headers.ts), and the form_post page's own policy, since that page posts to
    // the module (form-post-page.ts).
    provider.use(async (ctx, next) => {
      await next();
      const route = (ctx as unknown as Partial<KoaContextWithOIDC>).oidc?.route;
      const maxAge = route === undefined ? undefined : PUBLIC_MAX_AGE_S[route];
      if (maxAge !== undefined && ctx.status === 200) ctx.set('cache-control', `public, max-age=${maxAge}`);
      else if (!ctx.response.get('cache-control')) ctx.set('cache-control', UNCHOSEN_CACHE);
      giveFormPostPageItsPolicy(ctx);
    });
    // Only a click on Gatehouse's own confirmation page ends the session. For a browser
    // with no provider session, oidc-provider answers end_session with a form that submits
    // itself with logout=yes: any site could link there and sign the user out of
    // Gatehouse. That answer becomes the same confirmation page as everyone else's, with
    // the provider's own form (its xsrf value, kept in the provider session, is what the
    // confirmation POST must carry).
    provider.use(async (ctx, next) => {
      await next();
      const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
      const secret = oidc?.session?.state?.secret;
      if (oidc?.route !== 'end_session' || ctx.status !== 200 || oidc.session?.accountId || typeof secret !== 'string') return;
      ctx.set('content-security-policy', LOGOUT_PAGE_CSP);
      ctx.type = 'html';
      ctx.body = logoutPage(logoutForm(oidc.urlFor('end_session_confirm'), secret), oidc.client?.clientName);
    });
    // The confirmation returns to the module only at a post-logout URI it still has.
    provider.use(async (ctx, next) => {
      await next();
      keepLogoutReturnRegistered(ctx as unknown as KoaContextWithOIDC);
    });
    // Confirming "Log Out" on the provider's logout page (RP-initiated logout) logs out of
    // Gatehouse too, before the browser is redirected; "Stay Logged In" leaves the module
    // only. A post-middleware, so the session is gone by the time the redirect is sent.
    provider.use(async (ctx, next) => {
      await next();
      const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
      const confirmedLogout = oidc?.route === 'end_session_confirm' && ctx.status === 303 && Boolean(oidc.params?.logout);
      if (!confirmedLogout) return;
      const token = tokenShaped(cookieInHeader(ctx.get('cookie'), cookies.session));
      if (!token) return;
      // The provider also ends its session by itself when a module's sign-in finishes as
      // another account (a login made for an id_token_hint of someone else): its page posts
      // logout=yes and returns to that sign-in's resume. That ends the previous account's
      // provider session, never the Gatehouse session just made. Any other confirmation
      // is a click on the logout page, which ends the Gatehouse session the browser holds,
      // whoever the provider's session names (a shared browser's earlier user).
      if (oidc.session && isAccountSwitch(oidc)) {
        const signedIn = await authenticateSession(deps.db, token, deps.clock(), normalizeAddress(ctx.ip));
        if (signedIn && accountIdOf(signedIn.companyId, signedIn.userId) !== oidc.session.accountId) return;
      }
      await logOutSession(deps.db, token, deps.clock());
    });
    // Registered late, so it runs inside the others: the batch is stored before the
    // middlewares above look at the answer, and inside the durability wait (group commit).
    provider.use(storeBatchBeforeAnswering(deps.db, deps.clock, answerUnstored));
    // Inside that one: a sign-in stored as a row past its cap is left out of the batch.
    provider.use(capStoredInteractions(deps, carried.interactions));
    return { provider, callback: provider.callback() };
  };
  let current = build();

  async function reloadKeys() {
    const next = await loadSigningKeys(deps.db, deps.secrets, deps.clock());
    if (next.version === loaded.version) return;
    loaded = next;
    current = build();
  }
  const timer = setInterval(
    () =>
      void reloadKeys().then(
        () => options.keyCheckReports?.passed(),
        (error: unknown) => options.keyCheckReports?.failed(error),
      ),
    KEY_CHECK_MS,
  );
  timer.unref();
  const backchannel = createBackchannelWorker({
    db: deps.db,
    clock: deps.clock,
    provider: () => current.provider,
    auditRetentionDays: deps.config.auditRetentionDays,
    ...(options.backchannelReports ? { reports: options.backchannelReports } : {}),
    ...(options.sweepSessions ? { sweepSessions: options.sweepSessions } : {}),
  });

  return {
    provider: () => current.provider,
    handle: (req, res) => current.callback(req, res),
    reloadKeys,
    backchannel,
    carried,
    decideSignIn: (request) => decideSignIn(deps, carried.interactions, request),
    async close() {
      clearInterval(timer);
      await backchannel.stop();
    },
  };
}
