// "Log In with Gatehouse": the provider mounted under /oidc, and the interaction route
// that joins it to Gatehouse's own login. The provider reads its own request bodies, so
// this scope has no body parsers; it also sets its own headers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateSession } from '../../sessions/index.ts';
import { accountIdOf, ACR_2FA, companyMayUse, errorPage, findModuleByClientId, PAGE_CSP, refusedPage, type OidcService } from '../../modules/index.ts';
import type { HttpContext } from '../context.ts';
import { readCookie } from '../cookies.ts';

function sendPage(reply: FastifyReply, status: number, html: string) {
  return reply
    .status(status)
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}

export async function oidcRoutes(app: FastifyInstance, { deps, cookies }: HttpContext, oidc: OidcService) {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    const forward = (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      const raw = request.raw as typeof request.raw & { originalUrl?: string };
      raw.originalUrl = raw.url;
      raw.url = (raw.url ?? '/').slice('/oidc'.length) || '/';
      oidc.handle(raw, reply.raw);
    };
    scope.all('/oidc', forward);
    scope.all('/oidc/*', forward);
  });

  app.get<{ Params: { uid: string } }>('/oidc-interaction/:uid', async (request, reply) => {
    const provider = oidc.provider();
    let details: Awaited<ReturnType<typeof provider.interactionDetails>>;
    try {
      details = await provider.interactionDetails(request.raw, reply.raw);
    } catch {
      return sendPage(reply, 400, errorPage('This sign-in has expired', 'Go back to the application and start signing in again.'));
    }
    const now = deps.clock();
    const token = readCookie(request, cookies.session);
    const signedIn = token ? await authenticateSession(deps.db, token, now, request.ip ?? null) : undefined;
    const params = details.params as { client_id?: string; max_age?: number | string };
    const reasons = details.prompt.reasons;
    const startedAt = (details.iat ?? 0) * 1000;
    const maxAgeMs = params.max_age === undefined ? undefined : Number(params.max_age) * 1000;
    // prompt=login, max_age and a mismatched id_token_hint want a login made for this request.
    const wantsFreshLogin = reasons.includes('login_prompt') || reasons.includes('id_token_hint');
    const loggedInForThisRequest = signedIn && signedIn.authTime >= startedAt;
    // A login made for this request satisfies max_age however long the browser took to
    // come back; measuring it against the clock would send the user round in a loop.
    const tooOld = signedIn && !loggedInForThisRequest && maxAgeMs !== undefined && now - signedIn.authTime > maxAgeMs;
    const freshEnough = signedIn && (!wantsFreshLogin || loggedInForThisRequest);
    if (!signedIn || !freshEnough || tooOld) {
      return reply.redirect(`/login?return=${encodeURIComponent(`/oidc-interaction/${details.uid}`)}`, 303);
    }

    const clientId = params.client_id ?? '';
    if (!(await companyMayUse(deps.db, signedIn.companyId, clientId))) {
      const module = await findModuleByClientId(deps.db, clientId);
      return sendPage(reply, 403, refusedPage(module?.name ?? 'This module', signedIn.companyName));
    }

    reply.hijack();
    await provider.interactionFinished(
      request.raw,
      reply.raw,
      {
        login: {
          accountId: accountIdOf(signedIn.companyId, signedIn.userId),
          amr: signedIn.amr,
          acr: ACR_2FA,
          ts: Math.floor(signedIn.authTime / 1000),
          remember: true,
        },
        // Modules are first party: the grant is made in loadExistingGrant, no consent page.
        ...(details.prompt.name === 'consent' ? { consent: {} } : {}),
      },
      { mergeWithLastSubmission: false },
    );
  });
}
