// Where a company's identity provider may send Gatehouse or its users: the URLs a Master
// types (the issuer, a SAML SSO URL) and the endpoints an OpenID Connect discovery
// document names. https, or plain http on this machine (a provider under test or in
// development); nothing else, not javascript: or data:, which would otherwise reach a
// browser as the place to sign in.
import { isLoopbackHost } from '../shared/loopback.ts';

/** https, or plain http on this machine (a provider under test or in development). */
export function providerUrlProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'must be a full URL';
  const url = new URL(value);
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return 'must use https (plain http only on localhost)';
}
