// Which redirect URIs a module may register. Matching at the provider is exact (string
// equality), so what matters here is refusing what should never be registered: other
// schemes, plain http off loopback, fragments, credentials in the URL.
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
  if (/[\s<>"]/.test(value)) return 'contains characters that are not allowed';
  return undefined;
}
