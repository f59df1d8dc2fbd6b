// A logout's return to its module, held to the module as it is at the click. The provider
// checks post_logout_redirect_uri when it shows the logout page and keeps it in the
// provider session; the click ("Log Out" or "Stay Logged In") may come minutes later, after
// an operator removed that URI from the module (a domain given up, a URI that should never
// have been there). oidc-provider redirects to what it kept; this sends the browser to
// Gatehouse's own last page instead, as the resume does for a removed redirect URI
// (sign-in-gate.ts) and the token endpoint for a code given at one (client-with-token.ts).
import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * Whether `location`, the confirmation's redirect, is one of `registered` as the provider
 * builds it: the URI as registered, with the logout's `state` set in its query when it had one.
 */
function isRegisteredReturn(location: string, registered: readonly string[]): boolean {
  let state: string | null;
  try {
    state = new URL(location).searchParams.get('state');
  } catch {
    return false;
  }
  return registered.some((uri) => {
    const built = new URL(uri);
    if (location === built.href) return true;
    if (state === null) return false;
    built.searchParams.set('state', state);
    return location === built.href;
  });
}

/**
 * After the provider's end_session_confirm: a redirect to anything but the provider's own
 * pages must be a post-logout URI the module has now (its client read afresh by the
 * confirmation itself); else the browser goes to the provider's last page, as when the
 * logout named no URI.
 */
export function keepLogoutReturnRegistered(ctx: KoaContextWithOIDC): void {
  const { oidc } = ctx as Partial<KoaContextWithOIDC>;
  if (oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
  const location = ctx.response.get('location');
  const own = [oidc.urlFor('end_session_success'), `${oidc.urlFor('authorization')}/`];
  if (!location || own.some((prefix) => location.startsWith(prefix))) return;
  if (isRegisteredReturn(location, oidc.client?.postLogoutRedirectUris ?? [])) return;
  // As the provider's own answer without a post-logout URI: "Stay Logged In" names the module.
  const lastPage = new URL(oidc.urlFor('end_session_success'));
  if (!oidc.params?.logout && oidc.client) lastPage.searchParams.set('client_id', oidc.client.clientId);
  ctx.status = 303;
  ctx.redirect(lastPage.href);
}
