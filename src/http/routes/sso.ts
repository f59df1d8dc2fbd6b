// Single sign-on over HTTP. Three audiences: the login page's calls (public, JSON, our
// origin only), a Master's set-up of the company's providers, and the protocol
// endpoints the provider sends the browser back to (SAML ACS, OIDC callback) or reads
// (SP metadata). Those answer with redirects into the web app, which carries on from the
// login flow bound to its own cookie, never from anything in the provider's answer.
import { parse as parseQuery } from 'node:querystring';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { done, idParams, ifMatchHeaders } from '../../contract/common.ts';
import { loginState, ssoRedirect, trustedLoginAnswer } from '../../contract/sign-in.ts';
import {
  MAX_CERTIFICATE_CHARACTERS,
  MAX_CERTIFICATES,
  MAX_METADATA_CHARACTERS,
  oneSsoProvider,
  ssoEnabledBody,
  ssoOverview as ssoOverviewSchema,
  ssoProviderBody,
  ssoSettingsBody,
  ssoTestParams,
  ssoTestResult as ssoTestResultSchema,
  ssoTestStarted,
} from '../../contract/sso.ts';
import { choosePassword, finishTrustedLogin, loginIdOfToken } from '../../login/index.ts';
import {
  ACS_BOUNCE_HEADERS,
  acsBouncePage,
  addProvider,
  changeSsoSettings,
  editProvider,
  receiveOidcCallback,
  receiveSamlResponse,
  removeProvider,
  serviceProviderMetadata,
  serviceProviderUrls,
  ssoOverview,
  ssoTestResult,
  startSsoLogin,
  startSsoTest,
  switchProvider,
  type AnsweringBrowser,
  type Landing,
} from '../../sso/index.ts';
import { hashToken } from '../../crypto/index.ts';
import { idempotencyHeaders } from '../../contract/api-v1.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import { idempotentCreates } from '../idempotent-creates.ts';
import type { HttpContext } from '../context.ts';
import { readCookie, readFlowCookie, setFlowCookie } from '../cookies.ts';
import { answerVersion, ifMatchVersions } from '../conditional-saves.ts';
import { requestMeta } from '../guards.ts';
import { setSignedIn } from '../signed-in-answer.ts';

/** The SAML ACS takes the provider's form post; responses with many attributes are large. */
const ACS_BODY_LIMIT = 512 * 1024;
/**
 * A provider's settings hold what the contract takes (the metadata XML and two certificates
 * at their caps), in JSON: a character of the BMP is at most 3 bytes in UTF-8, and the
 * line breaks and tabs metadata may hold are 2 escaped; 64 KiB more for the other fields.
 */
const PROVIDER_BODY_LIMIT = 3 * (MAX_METADATA_CHARACTERS + MAX_CERTIFICATES * MAX_CERTIFICATE_CHARACTERS) + 64 * 1024;
const companyParam = z.object({ companyId: z.uuid() });

function land(reply: FastifyReply, landing: Landing, setFlow: (token: string) => void) {
  if (landing.to === 'test') {
    const query = new URLSearchParams({ tab: 'sso', provider: landing.providerId, ssoTest: landing.testId });
    return reply.redirect(`/company?${query}`, 303);
  }
  // The provider's answer renamed the login flow (src/login/flows.ts moveFlowPastProof):
  // the redirect carries its new name, the browser's flow cookie from now on.
  if (landing.flowToken) setFlow(landing.flowToken);
  if (!landing.failed) return reply.redirect('/login', 303);
  return reply.redirect(landing.why === 'company_full' ? '/login?sso=company_full' : '/login?sso=failed', 303);
}

export function ssoRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps, cookies } = ctx;
  const secure = deps.config.secureCookies;

  const flowOf = (request: FastifyRequest) => readFlowCookie(request, cookies.flow);

  forAudience(app, ctx, 'public', 'Login', (api) => {
    api.post(
      '/api/login/sso/start',
      { schema: { summary: "At the 'sso' step: where to send the browser (the company's identity provider)", response: { 200: ssoRedirect } } },
      async (request) => startSsoLogin(deps, flowOf(request), requestMeta(request)),
    );
    api.post(
      '/api/login/sso/password',
      { schema: { summary: "At the 'sso' step: Use password instead (break-glass users)", response: { 200: loginState } } },
      async (request) => choosePassword(deps, flowOf(request)),
    );
    api.post(
      '/api/login/sso/finish',
      {
        schema: {
          summary: "At the 'sso_trusted' step: sets the session cookie (the provider's MFA is trusted), or names the next step where the policy now wants a key",
          response: { 200: trustedLoginAnswer },
        },
      },
      async (request, reply) => {
        const result = await finishTrustedLogin(deps, flowOf(request), requestMeta(request));
        // The policy came to hold this user to a key: no session, the login goes on.
        if (!('sessionToken' in result)) return result;
        return setSignedIn(deps, cookies, request, reply, result);
      },
    );
  });

  forAudience(app, ctx, 'master', 'Single sign-on', (api) => {
    // Keys per signed-in user, as the console's other creates (a page retries a lost answer).
    const idempotent = idempotentCreates(deps, (request) => ({ userId: signedInOf(request).userId }));
    const master = (request: Parameters<typeof signedInOf>[0]) => {
      const me = signedInOf(request);
      return { companyId: me.companyId, userId: me.userId, sessionHash: me.sessionHash };
    };
    // The overview's version (and ETag) is the mode's and break-glass users', the form's fields.
    const withVersion = <T extends { version: string }>(reply: FastifyReply, overview: T) => (answerVersion(reply, overview.version), overview);
    api.get(
      '/api/company/sso',
      { schema: { summary: "The company's identity providers, mode, break-glass users, and what to give the provider (the mode's and break-glass users' version in the ETag)", response: { 200: ssoOverviewSchema } } },
      async (request, reply) => withVersion(reply, await ssoOverview(deps, master(request).companyId)),
    );
    api.post(
      '/api/company/sso',
      {
        config: { sensitive: true },
        schema: { summary: 'Change the mode or the break-glass users (only the fields sent; with If-Match, only if they are still that version: else 412)', headers: ifMatchHeaders, body: ssoSettingsBody, response: { 200: ssoOverviewSchema } },
      },
      async (request, reply) => withVersion(reply, await changeSsoSettings(deps, master(request), request.body, requestMeta(request), ifMatchVersions(request))),
    );
    api.post(
      '/api/company/sso/providers',
      {
        bodyLimit: PROVIDER_BODY_LIMIT,
        config: { sensitive: true },
        schema: {
          summary: 'Add a SAML 2.0 or OpenID Connect provider (switched off until tested and switched on); takes an Idempotency-Key',
          headers: idempotencyHeaders,
          body: ssoProviderBody,
          response: { 201: oneSsoProvider },
        },
      },
      async (request, reply) => {
        // The whole form is what makes a repeat the same request, the client secret too: the
        // ledger keeps only a keyed digest of it (api-clients/idempotency.ts).
        await idempotent(request, reply, async () => ({ status: 201, body: { provider: await addProvider(deps, master(request), request.body, requestMeta(request)) } }));
      },
    );
    api.post(
      '/api/company/sso/providers/:id',
      {
        bodyLimit: PROVIDER_BODY_LIMIT,
        config: { sensitive: true },
        schema: {
          summary: "Change a provider's settings (it needs a new Test sign-in before it can be switched on; with If-Match, its version, only if nobody changed them since: else 412)",
          params: idParams,
          headers: ifMatchHeaders,
          body: ssoProviderBody,
          response: { 200: oneSsoProvider },
        },
      },
      async (request, reply) => {
        const provider = await editProvider(deps, master(request), request.params.id, request.body, requestMeta(request), ifMatchVersions(request));
        return { provider: withVersion(reply, provider) };
      },
    );
    api.post(
      '/api/company/sso/providers/:id/delete',
      { schema: { summary: 'Remove a provider', params: idParams, response: { 200: done } } },
      async (request) => {
        await removeProvider(deps, master(request), request.params.id, requestMeta(request));
        return {};
      },
    );
    api.post(
      '/api/company/sso/providers/:id/enabled',
      // Switching on sends the company's sign-ins to the provider; switching off takes that away.
      { config: { sensitive: (request) => (request.body as { enabled: boolean }).enabled }, schema: { summary: 'Switch a provider on (after a successful Test sign-in; the others go off) or off', params: idParams, body: ssoEnabledBody, response: { 200: oneSsoProvider } } },
      async (request) => ({ provider: await switchProvider(deps, master(request), request.params.id, request.body.enabled, requestMeta(request)) }),
    );
    api.post(
      '/api/company/sso/providers/:id/test',
      { config: { sensitive: true }, schema: { summary: 'Test sign-in: where to send this browser for a round trip with the provider', params: idParams, response: { 200: ssoTestStarted } } },
      async (request) => startSsoTest(deps, master(request), request.params.id),
    );
    api.get(
      '/api/company/sso/providers/:id/test/:testId',
      { schema: { summary: "A Test sign-in's outcome (for the Master who started it)", params: ssoTestParams, response: { 200: ssoTestResultSchema } } },
      async (request) => ssoTestResult(deps, master(request), request.params.id, request.params.testId) as never,
    );
  });

  // The protocol endpoints. Not JSON and not under /api: the provider's pages send the
  // browser here (route-guards.ts lets the ACS take a cross-site form post).
  app.get<{ Params: { companyId: string } }>('/saml/:companyId/metadata', async (request, reply) => {
    const params = companyParam.safeParse(request.params);
    if (!params.success) return reply.status(404).send({ error: { code: 'request.not_found', message: 'Not found.' } });
    const company = await deps.db.selectFrom('companies').select('id').where('id', '=', params.data.companyId).executeTakeFirst();
    if (!company) return reply.status(404).send({ error: { code: 'request.not_found', message: 'Not found.' } });
    return reply.type('application/samlmetadata+xml; charset=utf-8').send(await serviceProviderMetadata(serviceProviderUrls(deps.config.publicUrl, company.id)));
  });

  /** Which browser brought a provider's answer back: the hashes of its flow and session cookies, and its login's id. */
  const answeringBrowser = (request: FastifyRequest): AnsweringBrowser => {
    const flow = flowOf(request);
    const session = readCookie(request, cookies.session);
    return {
      flowHash: flow ? hashToken(flow) : undefined,
      flowLoginId: flow ? loginIdOfToken(deps, flow) : undefined,
      sessionHash: session ? hashToken(session) : undefined,
    };
  };
  const flowCookieOf = (reply: FastifyReply) => (token: string) => setFlowCookie(reply, secure, cookies.flow, token);

  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: ACS_BODY_LIMIT }, (_request, body, done) => {
      done(null, parseQuery(body as string));
    });
    type AcsPost = { Params: { companyId: string }; Body: Record<string, unknown> };
    // The provider's cross-site post, without our cookies: bounced back by this browser
    // to /continue, same-site, with them (src/sso/acs-bounce.ts).
    scope.post<AcsPost>('/saml/:companyId/acs', { bodyLimit: ACS_BODY_LIMIT }, async (request, reply) => {
      const params = companyParam.safeParse(request.params);
      const value = request.body?.SAMLResponse;
      if (!params.success || typeof value !== 'string') return reply.redirect('/login?sso=failed', 303);
      return reply.headers(ACS_BOUNCE_HEADERS).type('text/html; charset=utf-8').send(acsBouncePage(`/saml/${params.data.companyId}/acs/continue`, value));
    });
    scope.post<AcsPost>('/saml/:companyId/acs/continue', { bodyLimit: ACS_BODY_LIMIT }, async (request, reply) => {
      const params = companyParam.safeParse(request.params);
      if (!params.success) return reply.redirect('/login?sso=failed', 303);
      const value = request.body?.SAMLResponse;
      const landing = await receiveSamlResponse(deps, params.data.companyId, typeof value === 'string' ? value : undefined, answeringBrowser(request), requestMeta(request));
      return land(reply, landing, flowCookieOf(reply));
    });
  });

  app.get<{ Params: { companyId: string } }>('/sso/:companyId/oidc/callback', async (request, reply) => {
    const params = companyParam.safeParse(request.params);
    if (!params.success) return reply.redirect('/login?sso=failed', 303);
    const query = new URL(request.url, 'http://unused').searchParams;
    return land(reply, await receiveOidcCallback(deps, params.data.companyId, query, answeringBrowser(request), requestMeta(request)), flowCookieOf(reply));
  });
}
