// "Log In with Gatehouse": the provider mounted under /oidc, its resume behind the gate
// that joins it to Gatehouse's own login (src/modules/oidc/sign-in-gate.ts). The provider
// reads its own request bodies, so this scope has no body parsers; it also sets its own
// headers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { handOver, INTERACTION_TTL_S, interactionPath, PAGE_CSP, providerRouteKey, SIGN_IN_EXPIRED_PAGE, type OidcService } from '../../modules/index.ts';
import type { HttpContext } from '../context.ts';
import { readCookie, setCookie } from '../cookies.ts';
import { checkOrigin, requestMeta } from '../guards.ts';

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
export function presentAsPublic(raw: IncomingMessage, clientIp: string | null, publicUrl: URL) {
  const headers = raw.headers;
  headers.host = publicUrl.host;
  headers['x-forwarded-host'] = publicUrl.host;
  headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
  // Without a valid client address the provider must not fall back to the peer's (the
  // proxy's, perhaps inside an allowlist): it gets a word no address check accepts.
  headers['x-forwarded-for'] = clientIp ?? 'unknown';
  delete headers.forwarded;
}

/**
 * Hands a request to the provider at `path` (its path under /oidc, as the provider's
 * router reads it), the query string kept as sent; originalUrl tells the provider where it
 * is mounted. Both ways a provider request arrives end here: through Fastify (below) and
 * straight from the server (provider-lane.ts).
 */
export function handToProvider(oidc: OidcService, raw: IncomingMessage, response: ServerResponse, path: string) {
  const request = raw as IncomingMessage & { originalUrl?: string };
  const query = queryOf(raw.url);
  request.originalUrl = `/oidc${path}${query}`;
  request.url = `${path}${query}`;
  oidc.handle(request, response);
}

/** The query string of a raw request URL, "?" included, or "". */
function queryOf(rawUrl: string | undefined): string {
  const at = (rawUrl ?? '').indexOf('?');
  return at === -1 ? '' : (rawUrl as string).slice(at);
}

/** A sign-in's uid, as the provider makes them. */
const UID = '[A-Za-z0-9_-]{1,64}';
const SIGN_IN_UID = new RegExp(`^${UID}$`);
/**
 * The provider's resume of a sign-in (its route `/auth/:uid`), as providerPath spells it,
 * in every spelling the provider's router runs it by (any case, one trailing slash:
 * route-key.ts); the uid keeps its case.
 */
const RESUME_PATH = new RegExp(`^/auth/(${UID})/?$`, 'i');

/**
 * The provider's routes that only Gatehouse's own pages post to: the logout page's "Log
 * Out" / "Stay Logged In" form. Its xsrf value lives in the provider session, so a session
 * planted in the browser (over plain http, where cookies cannot carry a prefix) would
 * bring its own value; the origin check holds whatever the cookies say. Other provider
 * POSTs come from modules (a logout started by a form on the module's site) or from
 * servers, and carry their own proof.
 */
const OWN_PAGE_FORMS: ReadonlySet<string> = new Set(['/session/end/confirm'].map(providerRouteKey));

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
      // Read before the forwarded headers are replaced: the one validated client address.
      presentAsPublic(request.raw, requestMeta(request).ip, publicUrl);
      reply.hijack();
      handToProvider(oidc, request.raw, reply.raw, path);
    };
    scope.all('/oidc', (request, reply) => forward(request, reply, '/'));
    scope.all<{ Params: { '*': string } }>('/oidc/*', async (request, reply) => {
      const path = providerPath(request.params['*']);
      const uid = RESUME_PATH.exec(path)?.[1];
      if (OWN_PAGE_FORMS.has(providerRouteKey(path))) checkOrigin(request, publicUrl.origin);
      if (uid === undefined) return forward(request, reply, path);
      // The provider would serve a HEAD as the GET it stands for, and a resume without its
      // gate's result spends the sign-in: a HEAD (a link checker, a prefetch) must not.
      if (request.method !== 'GET') return reply.status(405).header('allow', 'GET').header('cache-control', 'no-store').send();
      // The resume: its gate decides first whether the browser's session will do
      // (sign-in-gate.ts), and hands what it read and decided to the provider.
      const answer = await oidc.decideSignIn({ uid, cookieHeader: request.headers.cookie, sessionToken: readCookie(request, cookies.session), ip: requestMeta(request).ip });
      if (answer.kind === 'page') return sendPage(reply, answer.status, answer.html);
      if (answer.kind === 'login') return reply.redirect(answer.location, 303);
      handOver(request.raw, answer.handed);
      return forward(request, reply, path);
    });
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

  // Where the login returned before the gate moved into the resume: a login page opened
  // before an upgrade still finishes, sent on to the resume with the sign-in it carried.
  app.get<{ Params: { uid: string } }>('/oidc-interaction/:uid', async (request, reply) => {
    const { uid } = request.params;
    if (!SIGN_IN_UID.test(uid)) return sendPage(reply, 400, SIGN_IN_EXPIRED_PAGE);
    const carried = oidc.carried.interactions.forwardedToResume(uid, request.headers.cookie);
    if (carried) setCookie(reply, deps.config.secureCookies, carried.name, carried.value, INTERACTION_TTL_S, carried.path);
    return reply.redirect(interactionPath(uid), 303);
  });
}
