// Which redirect URIs a module may register. Matching at the provider is exact (string
// equality), so what matters here is refusing what should never be registered: other
// schemes, plain http off loopback, fragments, credentials in the URL, wildcard hosts.
import { isLoopbackHost } from '../shared/loopback.ts';

export function redirectUriProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https (or http on loopback)';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'may use plain http only on loopback (localhost, 127.0.0.1, [::1])';
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.hash || value.includes('#')) return 'must not contain a fragment';
  // URL parsing keeps "*" in a host, and matching is exact: "https://*.example.com/cb"
  // would be stored and then match no request, which reads like a wildcard that works.
  if (url.hostname.includes('*')) return 'must name its host exactly: wildcards are not supported (list each address)';
  if (/[\s<>"]/.test(value)) return 'contains characters that are not allowed';
  return undefined;
}

/**
 * Whether `uri` is still one of the module's redirect URIs (`registered`: the module's
 * stored JSON list), matched as the provider matches at the authorization: exactly. A sign-in
 * or a code outlives the authorization that checked its URI; an edit that removed the URI
 * in between ends them, so an answer never goes where the module no longer takes it.
 */
export function stillRegisteredRedirect(registered: string, uri: unknown): boolean {
  return typeof uri === 'string' && (JSON.parse(registered) as string[]).includes(uri);
}
