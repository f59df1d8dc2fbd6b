// A browser has one flow cookie for all its tabs, so a login started in one tab replaces
// the login another tab shows. Every step of a login is held to the login its page shows
// (X-Gatehouse-Login, requireShownLogin in src/login/flow-cookie.ts), here, for every
// POST under /api/login but those that start a login or stand apart from one: a step
// route added later is held by default. Checked on the matched route, before the body is
// read, so the refusal is the same whatever was sent.
import type { FastifyInstance } from 'fastify';
import { requireShownLogin } from '../login/index.ts';
import type { CoreDeps } from '../shared/deps.ts';
import { readFlowCookie } from './cookies.ts';

/** The header a page names its login in. */
export const SHOWN_LOGIN_HEADER = 'x-gatehouse-login';

const LOGIN_ROUTES = '/api/login/';
/** Not a step of the login the cookie names: a new login (identify, a passkey's), or the forgot forms. */
const NOT_A_STEP: ReadonlySet<string> = new Set(['/api/login/identify', '/api/login/passkey/options', '/api/login/forgot-password', '/api/login/forgot-company']);

export function holdStepsToShownLogin(app: FastifyInstance, deps: CoreDeps, flowCookie: string): void {
  app.addHook('onRequest', (request, _reply, done) => {
    // Every request passes here: the header, which only the web app's login page sends, first.
    const shown = request.headers[SHOWN_LOGIN_HEADER];
    if (typeof shown !== 'string' || request.method !== 'POST') return done();
    const route = request.routeOptions.url;
    if (!route?.startsWith(LOGIN_ROUTES) || NOT_A_STEP.has(route)) return done();
    try {
      requireShownLogin(deps, readFlowCookie(request, flowCookie), shown);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
}
