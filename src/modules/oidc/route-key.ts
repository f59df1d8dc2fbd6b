// How oidc-provider's router reads a path (oidc-provider/lib/helpers/router.js): ASCII
// letters in any case, and one trailing slash ignored, so "/Session/End/Confirm/" runs
// the route "/session/end/confirm". A guard Gatehouse puts in front of a provider route
// must decide on the route the provider will run, not on one spelling of it, or another
// spelling walks past it (an origin check, a cap, the resume's gate).

/** The path as the router matches it: one trailing slash dropped, ASCII letters in capitals. */
export function providerRouteKey(path: string): string {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

/** Whether `path` runs the provider's static route `route` (written as the provider registers it). */
export function isProviderRoute(path: string, route: string): boolean {
  return providerRouteKey(path) === providerRouteKey(route);
}
