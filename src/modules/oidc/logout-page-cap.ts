// The provider's logout page (/oidc/session/end) keeps its form's xsrf value in a provider
// session, and makes one for a browser that has none: a stored row per page view, for
// anyone, with no cookie at all. Such a session lives only as long as a sign-in may
// (provider.ts, ttl.Session), and a client network may make only so many of them: past
// the cap the page answers 429 and stores nothing. A browser that already has a provider
// session (anyone signed in to a module) is not counted.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { cookieInHeader } from '../../http/cookies.ts';
import { normalizeAddress } from '../../http/client-ip.ts';
import { clientNetwork } from '../../shared/client-network.ts';
import type { CoreDeps } from '../../shared/deps.ts';
import { takeRateSlot, type RateCap } from '../../storage/index.ts';
import { errorPage, PAGE_CSP } from './pages.ts';

const LOGOUT_PAGE_PATH = '/session/end';

/** Fresh provider sessions for the logout page, per client network: far above what a network's people log out of modules with. */
export const logoutPageCap = (network: string): RateCap => ({ key: `logout-page-sessions:${network}`, limit: 100, windowMs: 10 * 60_000 });

export function capAnonymousLogoutPages(deps: CoreDeps, providerSessionCookie: string) {
  return async function anonymousLogoutPages(ctx: KoaContextWithOIDC, next: () => Promise<unknown>) {
    const freshSession = ctx.path === LOGOUT_PAGE_PATH && !cookieInHeader(ctx.get('cookie'), providerSessionCookie);
    if (freshSession && !(await takeRateSlot(deps.db, logoutPageCap(clientNetwork(normalizeAddress(ctx.ip))), deps.clock()))) {
      ctx.status = 429;
      ctx.set('retry-after', '600');
      ctx.set('cache-control', 'no-store');
      ctx.set('content-security-policy', PAGE_CSP);
      ctx.type = 'html';
      ctx.body = errorPage('Too many requests', 'Too many logout pages were opened from your network. Try again in a few minutes.');
      return;
    }
    await next();
  };
}
