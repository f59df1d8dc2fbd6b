// "Log In with Gatehouse": the provider mounted under /oidc, and the interaction route
// that joins it to Gatehouse's own login. The provider reads its own request bodies, so
// this scope has no body parsers; it also sets its own headers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { accountIdOf, ACR_PHISHING_RESISTANT, acrOf, authenticateSessionWithAccess, errorPage, interactionPath, loginPageFor, findModuleByClientId, PAGE_CSP, refusedPage, type OidcService } from '../../modules/index.ts';
import type { HttpContext } from '../context.ts';
import { readCookie, setCookie } from '../cookies.ts';
import { requestMeta } from '../guards.ts';

function sendPage(reply: FastifyReply, status: number, html: string) {
  return reply
    .status(status)
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}

/**
 * The provider sees every request as made to GATEHOUSE_PUBLIC_URL, from the client address
 * Fastify determined (which honours GATEHOUSE_TRUST_PROXY): the URLs it hands out
 * (discovery, redirects, the issuer's endpoints) never follow a Host or X-Forwarded-*
 * header a client chose. The provider runs with `proxy` on and reads only these values.
 */
function presentAsPublic(request: FastifyRequest, publicUrl: URL) {
  // Read before the forwarded headers are replaced: the one validated client address.
  const clientIp = requestMeta(request).ip;
  const headers = request.raw.headers;
  headers.host = publicUrl.host;
  headers['x-forwarded-host'] = publicUrl.host;
  headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
  // Without a valid client address the provider must not fall back to the peer's (the
  // proxy's, perhaps inside an allowlist): it gets a word no address check accepts.
  headers['x-forwarded-for'] = clientIp ?? 'unknown';
  delete headers.forwarded;
}

/** The query string of a raw request URL, "?" included, or "". */
function queryOf(rawUrl: string | undefined): string {
  const at = (rawUrl ?? '').indexOf('?');
  return at === -1 ? '' : (rawUrl as string).slice(at);
}

/** The router's decoded wildcard, spelled again as a path the provider's router reads. */
function providerPath(wildcard: string | undefined): string {
  return `/${(wildcard ?? '').split('/').map(encodeURIComponent).join('/')}`;
}

export async function oidcRoutes(app: FastifyInstance, { deps, cookies }: HttpContext, oidc: OidcService) {
  const { publicUrl } = deps.config;
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // One rewrite for everything the provider serves: the path is the one the router
    // matched (so every spelling that reaches here means the same provider route), the
    // query string is kept as sent, and originalUrl tells the provider where it is mounted.
    const forward = (request: FastifyRequest, reply: FastifyReply, path: string) => {
      presentAsPublic(request, publicUrl);
      reply.hijack();
      const raw = request.raw as typeof request.raw & { originalUrl?: string };
      const query = queryOf(raw.url);
      raw.originalUrl = `/oidc${path}${query}`;
      raw.url = `${path}${query}`;
      oidc.handle(raw, reply.raw);
    };
    scope.all('/oidc', (request, reply) => forward(request, reply, '/'));
    scope.all<{ Params: { '*': string } }>('/oidc/*', (request, reply) => forward(request, reply, providerPath(request.params['*'])));
    // The issuer is <public URL>/oidc, so RFC 8414 §3 puts its OAuth metadata at
    // /.well-known/oauth-authorization-server/oidc; some OpenID Connect clients apply the
    // same rule to openid-configuration. Both are the provider's own discovery document.
    for (const document of ['oauth-authorization-server', 'openid-configuration']) {
      scope.route({
        method: ['GET', 'HEAD', 'OPTIONS'],
        url: `/.well-known/${document}/oidc`,
        handler: (request, reply) => forward(request, reply, `/.well-known/${document}`),
      });
    }
  });

  app.get<{ Params: { uid: string } }>('/oidc-interaction/:uid', async (request, reply) => {
    const provider = oidc.provider();
    let details: Awaited<ReturnType<typeof provider.interactionDetails>>;
    try {
      presentAsPublic(request, publicUrl);
      // The interaction is read from the cookie its browser carries (carried-interaction.ts).
      details = await oidc.carried.interactions.withCookies(request.headers.cookie, () => provider.interactionDetails(request.raw, reply.raw));
    } catch {
      return sendPage(reply, 400, errorPage('This sign-in has expired', 'Go back to the application and start signing in again.'));
    }
    const now = deps.clock();
    const params = details.params as { client_id?: string; max_age?: number | string; acr_values?: string };
    const clientId = params.client_id ?? '';
    // The session and its user's access to the module, read together (used once the session will do).
    const token = readCookie(request, cookies.session);
    const found = token ? await authenticateSessionWithAccess(deps.db, token, now, requestMeta(request).ip, clientId) : undefined;
    const signedIn = found?.signedIn;
    const reasons = details.prompt.reasons;
    const returnPath = interactionPath(details.uid);
    // A login made for this interaction: the login page was sent here for it (its return
    // path names this interaction's uid), so it happened after the module asked, whatever
    // the clock reads. Clocks cannot tell: the provider counts whole seconds.
    const loggedInForThisRequest = signedIn?.loginFor === returnPath;
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
    const wantsKey = (params.acr_values ?? '').split(' ').includes(ACR_PHISHING_RESISTANT);
    const keyMissing = wantsKey && signedIn !== undefined && acrOf(signedIn.amr) !== ACR_PHISHING_RESISTANT;
    if (keyMissing && loggedInForThisRequest) {
      return sendPage(
        reply,
        403,
        errorPage(
          'This application requires a passkey or security key',
          'Sign in with a passkey or security key to continue. You can add one in My Settings, then start signing in again from the application.',
        ),
      );
    }
    if (!signedIn || !freshEnough || tooOld || keyMissing) {
      // need=key: the login page says why a module sent the user back (it asks for a key).
      return reply.redirect(loginPageFor(details.uid, keyMissing), 303);
    }

    const access = found?.access ?? 'not_enabled';
    if (access !== 'allowed') {
      const module = await findModuleByClientId(deps.db, clientId);
      return sendPage(reply, 403, refusedPage(module?.name ?? 'This module', signedIn.companyName, access));
    }

    // The result goes to the resume in a sealed cookie bound to this interaction, not
    // saved on its row (src/modules/oidc/interaction-result.ts): a sign-in writes once less.
    const result = {
      login: {
        accountId: accountIdOf(signedIn.companyId, signedIn.userId),
        amr: signedIn.amr,
        acr: acrOf(signedIn.amr),
        ts: Math.floor(signedIn.authTime / 1000),
        remember: true,
      },
      // Modules are first party: the grant is made in loadExistingGrant, no consent page.
      ...(details.prompt.name === 'consent' ? { consent: {} } : {}),
    };
    const { results, interactions } = oidc.carried;
    const expiresAt = details.exp * 1000;
    const sealed = results.seal(details.uid, result, expiresAt);
    const maxAgeSeconds = Math.max(1, Math.ceil((expiresAt - now) / 1000));
    setCookie(reply, deps.config.secureCookies, results.cookieName, sealed, maxAgeSeconds);
    // The sign-in the browser carries goes on to the resume (carried-interaction.ts).
    const carried = interactions.forwardedToResume(details.uid, request.headers.cookie, details.returnTo);
    if (carried) setCookie(reply, deps.config.secureCookies, carried.name, carried.value, maxAgeSeconds, carried.path);
    return reply.redirect(details.returnTo, 303);
  });
}
